using System.Net;
using System.Net.Sockets;
using Bouncer.Engine;
using Bouncer.Engine.Events;
using Bouncer.Rules;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Benchmarks;

/// <summary>A running engine with one TCP pass rule on loopback, its events and log discarded.</summary>
internal static class BenchmarkEngine
{
    public static BouncerEngine Start(int listenPort, int targetPort)
    {
        var environment = new SystemNetworkEnvironment();
        var rules = RuleFile.Parse(
            $"client pass {{ from: 0/0 to: 127.0.0.1 port = {listenPort} bounce to: 127.0.0.1 port = {targetPort} protocol: tcp log: error }}\n",
            "benchmark.conf",
            environment);
        var engine = new BouncerEngine(new EngineOptions(), new DiscardingSink(), new DiscardingLog(), environment);
        engine.StartAsync(rules.Table ?? throw new InvalidOperationException("the benchmark rule does not compile"), CancellationToken.None)
            .GetAwaiter().GetResult();
        return engine;
    }

    public static void Stop(BouncerEngine engine)
    {
        engine.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None).GetAwaiter().GetResult();
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>A listening socket on a free loopback port: the target the benchmarks' connections reach.</summary>
    public static Socket ListenOnLoopback(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(1024);
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>The daemon's log for a rule that logs nothing: no event is wanted.</summary>
    private sealed class DiscardingSink : ISessionEventSink
    {
        public void Publish(SessionEvent sessionEvent)
        {
        }

        public bool Wants(Rule rule, SessionPhase phase, EndReason reason) => false;
    }

    private sealed class DiscardingLog : IEngineLog
    {
        public void Info(string message)
        {
        }

        public void Warning(string message)
        {
        }

        public void Error(string message)
        {
        }
    }
}
