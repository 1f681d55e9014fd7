using System.Net;
using System.Net.Sockets;

namespace Bouncer.Benchmarks;

/// <summary>
/// Bytes the engine allocates per short connection (connect, one 64-byte round trip, close, as the
/// shared harness's crr test does), counted by the runtime for the whole process, minus the same
/// harness connecting straight to the target. What a connection allocates and drops is what an
/// idle connection's share of the heap carries until the next collection, and what the collector
/// pays for under a connection storm. Run with <c>--connect-alloc [connections]</c>.
/// </summary>
internal static class ConnectionAllocation
{
    public const int DefaultConnections = 4000;

    public static void Run(int connections)
    {
        using var target = BenchmarkEngine.ListenOnLoopback(out var targetPort);
        using var echo = new CancellationTokenSource();
        var server = Task.Run(() => Echo(target, echo.Token));

        Measure(targetPort, connections / 4);
        var direct = Measure(targetPort, connections);
        Console.WriteLine($"direct (harness only): {direct:F0} B per connection");

        var listenPort = BenchmarkEngine.FreePort();
        var engine = BenchmarkEngine.Start(listenPort, targetPort);
        try
        {
            // Warm up first: JIT tiers, thread-pool and socket-engine state, pools.
            Measure(listenPort, connections / 4);
            var proxied = Measure(listenPort, connections);
            Console.WriteLine($"through the engine: {proxied:F0} B per connection");
            Console.WriteLine($"engine per connection: {proxied - direct:F0} B allocated");
        }
        finally
        {
            BenchmarkEngine.Stop(engine);
            echo.Cancel();
            target.Dispose();
            server.Wait(TimeSpan.FromSeconds(5));
        }
    }

    private static double Measure(int port, int count)
    {
        var request = new byte[64];
        var reply = new byte[64];
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(new IPEndPoint(IPAddress.Loopback, port));
            client.Send(request);
            var read = 0;
            while (read < reply.Length)
            {
                var n = client.Receive(reply, read, reply.Length - read, SocketFlags.None);
                if (n == 0)
                {
                    throw new InvalidOperationException("the connection closed before the echo came back");
                }

                read += n;
            }

            client.Shutdown(SocketShutdown.Send);
            client.Receive(reply);
        }

        // Let the engine finish closing the last sessions before counting.
        Thread.Sleep(300);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)count;
    }

    /// <summary>A blocking echo server, one connection at a time: it reads until the client's FIN, echoing, then closes.</summary>
    private static void Echo(Socket listener, CancellationToken stop)
    {
        var buffer = new byte[4096];
        while (!stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = listener.Accept();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }

            using (accepted)
            {
                int n;
                while ((n = accepted.Receive(buffer)) > 0)
                {
                    accepted.Send(buffer.AsSpan(0, n));
                }
            }
        }
    }
}
