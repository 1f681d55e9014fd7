using System.Net;
using System.Net.Sockets;

namespace Bouncer.Benchmarks;

/// <summary>
/// The managed heap an idle TCP session keeps alive in a running engine: live bytes after a full
/// collection with a few thousand idle sessions open, minus the same harness connecting
/// straight to the target (the harness's own client and accepted sockets live in this process
/// too). Each connection makes one 1-byte round trip first, as the load script's idle test does,
/// so both directions have moved data once. Run with <c>--idle-footprint [sessions]</c>; needs
/// about four descriptors per session.
/// </summary>
internal static class IdleSessionFootprint
{
    public const int DefaultSessions = 4000;

    public static void Run(int sessions)
    {
        using var target = BenchmarkEngine.ListenOnLoopback(out var targetPort);

        var direct = Slope(target, targetPort, sessions);
        Console.WriteLine($"direct (harness only): {direct:F0} B per connection");

        var listenPort = BenchmarkEngine.FreePort();
        var engine = BenchmarkEngine.Start(listenPort, targetPort);
        try
        {
            // Once with a few sessions, so JIT, thread-pool and socket-engine state exist before measuring.
            Measure(target, listenPort, 50);
            var proxied = Slope(target, listenPort, sessions);
            Console.WriteLine($"through the engine: {proxied:F0} B per connection");
            Console.WriteLine($"engine per idle session: {proxied - direct:F0} B managed");
        }
        finally
        {
            BenchmarkEngine.Stop(engine);
        }
    }

    /// <summary>
    /// Live-heap growth per connection between a quarter of <paramref name="count"/> connections and
    /// all of them: the slope leaves out what does not grow with the sessions (pooled buffers, JIT).
    /// </summary>
    private static double Slope(Socket target, int port, int count)
    {
        var few = Measure(target, port, count / 4);
        var all = Measure(target, port, count);
        return (all - few) / (double)(count - (count / 4));
    }

    /// <summary>Opens <paramref name="count"/> connections to <paramref name="port"/>, one round trip each, and returns the live-heap growth while they are held.</summary>
    private static long Measure(Socket target, int port, int count)
    {
        var clients = new List<Socket>(count);
        var accepted = new List<Socket>(count);
        var one = new byte[1];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                client.Connect(new IPEndPoint(IPAddress.Loopback, port));
                var server = target.Accept();
                accepted.Add(server);
                client.Send(one);
                server.Receive(one);
                server.Send(one);
                client.Receive(one);
            }

            // Let the engine's loops settle into their idle waits.
            Thread.Sleep(500);
            return GC.GetTotalMemory(forceFullCollection: true) - before;
        }
        finally
        {
            clients.ForEach(s => s.Dispose());
            accepted.ForEach(s => s.Dispose());
            Thread.Sleep(500);
        }
    }

}
