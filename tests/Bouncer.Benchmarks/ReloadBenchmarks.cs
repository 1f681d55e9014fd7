using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Bouncer.Engine;
using Bouncer.Engine.Events;
using Bouncer.Engine.State;
using Bouncer.Rules.Comparison;
using Bouncer.Rules;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Benchmarks;

/// <summary>
/// The work of a SIGHUP reload of a 10,000-rule file, phase by phase: compile the text, compare
/// the tables (which the swap does to carry counters over, and hands on for the summary line), and
/// compile plus swap into a running engine (listeners kept, one rule changed). The daemon starts this work as soon as the signal is read.
/// </summary>
[MemoryDiagnoser]
public class ReloadBenchmarks
{
    private const int RuleCount = 10_000;
    private readonly IPAddress _listen = IPAddress.Loopback;
    private string _first = string.Empty;
    private string _second = string.Empty;
    private RuleTable _firstTable = null!;
    private RuleTable _secondTable = null!;
    private BouncerEngine _engine = null!;
    private bool _flip;

    [GlobalSetup]
    public void Setup()
    {
        var port = FreePort();
        var otherPort = FreePort();
        _first = RuleFileText(port, otherPort, 8080);
        _second = RuleFileText(port, otherPort, 8081);
        _firstTable = Compile(_first);
        _secondTable = Compile(_second);
        _engine = new BouncerEngine(new EngineOptions(), new NoEvents(), new NoLog(), SystemNetworkEnvironment.Instance);
        _engine.StartAsync(_firstTable, CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public RuleTable CompileFile() => Compile(_second);

    [Benchmark]
    public RuleTableChanges CompareTables() => RuleTableChanges.Compare(_firstTable, _secondTable);

    /// <summary>The engine's part alone: carry counters over, keep the listeners, swap the table.</summary>
    [Benchmark]
    public async Task<ReloadSummary> SwapOnly()
    {
        _flip = !_flip;
        return await _engine.ReloadAsync(_flip ? _secondTable : _firstTable, CancellationToken.None);
    }

    /// <summary>What stands between the signal and the new table in force.</summary>
    [Benchmark]
    public async Task<ReloadSummary> CompileAndSwap()
    {
        _flip = !_flip;
        var table = Compile(_flip ? _second : _first);
        return await _engine.ReloadAsync(table, CancellationToken.None);
    }

    private static RuleTable Compile(string text) =>
        RuleFile.Parse(text, "bench.conf", SystemNetworkEnvironment.Instance).Table
            ?? throw new InvalidOperationException("the benchmark rule file does not compile");

    /// <summary>The first rule differs between the two versions (its target port); the other 9,999 are alike.</summary>
    private string RuleFileText(int port, int otherPort, int targetPort)
    {
        var text = new StringBuilder($"client pass {{ from: 127.0.0.1/32 to: {_listen} port = {port} bounce to: 127.0.0.3 port = {targetPort} protocol: tcp }}\n");
        for (var i = 1; i < RuleCount; i++)
        {
            text.Append($"client pass {{ from: 127.{1 + (i / 65536)}.{i / 256 % 256}.{i % 256}/32 to: {_listen} port = {(i % 2 == 0 ? port : otherPort)} ")
                .Append("bounce to: 127.0.0.3 port = 9 protocol: tcp log: connect }\n");
        }

        return text.ToString();
    }

    private int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(_listen, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private sealed class NoEvents : ISessionEventSink
    {
        public void Publish(SessionEvent sessionEvent)
        {
        }
    }

    private sealed class NoLog : IEngineLog
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
