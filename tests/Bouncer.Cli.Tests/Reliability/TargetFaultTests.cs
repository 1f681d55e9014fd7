using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Targets that misbehave: one refuses, one never reads, one resets every connection, one is
/// blackholed (its packets vanish, inside a network namespace made for the test). Each client of a
/// faulty target is ended (not left hanging), the log says why, the daemon's buffering stays
/// bounded, and a healthy rule beside them keeps serving.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class TargetFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _namespace = $"bouncer-rel-{System.Environment.ProcessId}";

    public void Dispose()
    {
        NetworkNamespaces.RemoveAll(_namespace);
        _directory.Dispose();
    }

    [Fact(Timeout = 120_000)]
    public async Task Refusing_silent_and_resetting_targets_end_their_clients_and_spare_the_others()
    {
        var rounds = ReliabilitySize.Pick(5, 50);
        await using var healthy = new TaggedTcpTarget(Loopback.TargetA, "A");
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(Loopback.TargetB, 0));
        silent.Listen(1000);
        var silentPort = ((IPEndPoint)silent.LocalEndPoint!).Port;
        using var resetting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        resetting.Bind(new IPEndPoint(Loopback.TargetB, 0));
        resetting.Listen(1000);
        var resettingPort = ((IPEndPoint)resetting.LocalEndPoint!).Port;
        using var stopResetting = new CancellationTokenSource();
        var resetter = ResetEveryConnectionAsync(resetting, stopResetting.Token);

        var refusedPort = Loopback.FreePort(Loopback.TargetB);
        var ports = Enumerable.Range(0, 4).Select(_ => Loopback.FreePort(Loopback.Bouncer)).ToArray();
        var config = _directory.File("faults.conf");
        await File.WriteAllTextAsync(
            config,
            Pass("tcp", Loopback.Bouncer, ports[0], Loopback.TargetA, healthy.Port) +
            Pass("tcp", Loopback.Bouncer, ports[1], Loopback.TargetB, refusedPort) +
            Pass("tcp", Loopback.Bouncer, ports[2], Loopback.TargetB, silentPort) +
            Pass("tcp", Loopback.Bouncer, ports[3], Loopback.TargetB, resettingPort));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();
        var idleDescriptors = DaemonMeasures.OpenDescriptors(bouncer);
        var residentBefore = DaemonMeasures.ResidentKiB(bouncer);

        for (var round = 0; round < rounds; round++)
        {
            // Refused and reset: the client's connection ends, soon.
            Assert.True(await EndsWithinAsync(ports[1], TimeSpan.FromSeconds(10)), "a client of a refusing target was left open");
            Assert.True(await EndsWithinAsync(ports[3], TimeSpan.FromSeconds(10)), "a client of a resetting target was left open");
            await HealthyRoundTripAsync(ports[0], round);
        }

        // A target that never reads: the client can fill the buffers on the way, not the daemon's memory.
        using (var pusher = await Loopback.ConnectAsync(Loopback.Bouncer, ports[2]))
        {
            pusher.LingerState = new LingerOption(true, 0);
            var pushed = await PushUntilBlockedAsync(pusher, TimeSpan.FromSeconds(3));
            await HealthyRoundTripAsync(ports[0], rounds);
            var resident = DaemonMeasures.ResidentKiB(bouncer);
            output.WriteLine($"a client pushed {pushed / 1024} KiB towards a target that never reads; resident {residentBefore} -> {resident} KiB");
            Assert.InRange(pushed, 1, 64L * 1024 * 1024);
            Assert.True(resident - residentBefore < 64 * 1024, $"resident memory grew by {resident - residentBefore} KiB");
        }

        // Closing the listener resets what waits in its queue: the silent target's sessions end.
        silent.Dispose();
        await stopResetting.CancelAsync();
        await resetter;
        var open = await DaemonMeasures.WaitForDescriptorsAsync(bouncer, idleDescriptors + 2);
        Assert.InRange(open, 0, idleDescriptors + 2);
        Assert.Contains("Connection refused", bouncer.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("\n   at ", bouncer.Log, StringComparison.Ordinal);
        Assert.False(bouncer.HasExited);
    }

    [NetworkNamespaceFact(Timeout = 120_000)]
    public async Task A_blackholed_target_ends_its_client_at_the_connect_timeout_and_spares_the_others()
    {
        // Inside the namespace: lo, and 10.99.0.0/24 routed through it; no address there is local,
        // so the packets are dropped unanswered: a connect there is never answered, never refused.
        Assert.True(NetworkNamespaces.Create(_namespace, ["route", "add", "10.99.0.0/24", "dev", "lo"]));

        const int BlackholedPort = 7001;
        const int HealthyPort = 7002;
        const int EchoPort = 7003;
        var config = _directory.File("blackhole.conf");
        await File.WriteAllTextAsync(
            config,
            $"client pass {{ from: 127.0.0.0/8 to: 127.0.0.1 port = {BlackholedPort} bounce to: 10.99.0.2 port = 80 timeout.connect: 3 protocol: tcp log: connect disconnect error }}\n" +
            Pass("tcp", IPAddress.Loopback, HealthyPort, IPAddress.Loopback, EchoPort));
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: NetworkNamespaces.Wrap(_namespace));
        await bouncer.WaitUntilServingAsync();

        // A client in the namespace: while one connection waits on the blackholed target, an echo
        // through the healthy rule works; then the waiting one must be ended by the connect timeout.
        var script = Path.Combine(_directory.Path, "blackhole-client.py");
        await File.WriteAllTextAsync(script, BlackholeClient);
        var (status, text) = await NetworkNamespaces.RunInAsync(_namespace, "python3", script, $"{BlackholedPort}", $"{HealthyPort}", $"{EchoPort}");
        output.WriteLine(text);
        Assert.Equal(0, status);
        Assert.Contains("healthy ok", text, StringComparison.Ordinal);
        var seconds = double.Parse(text.Split("blackholed ended after ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 2.5, 15);
        await bouncer.WaitForLineAsync("10.99.0.2");
        Assert.False(bouncer.HasExited);
        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// Python, run in the namespace: an echo service on the echo port, a connection through the
    /// blackholed rule, an echo through the healthy rule while it waits, then how long the
    /// blackholed one took to end.
    /// </summary>
    private const string BlackholeClient = """
        import socket, sys, threading, time
        black, healthy, echo = (int(a) for a in sys.argv[1:4])
        server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", echo)); server.listen(8)
        def serve():
            conn, _ = server.accept()
            conn.sendall(conn.recv(100)); conn.close()
        threading.Thread(target=serve, daemon=True).start()
        started = time.monotonic()
        waiting = socket.create_connection(("127.0.0.1", black), timeout=20)
        waiting.settimeout(20)
        h = socket.create_connection(("127.0.0.1", healthy), timeout=10)
        h.sendall(b"hello"); assert h.recv(100) == b"hello"; h.close()
        print("healthy ok", flush=True)
        try:
            data = waiting.recv(100)
            how = "closed" if data == b"" else "data"
        except ConnectionResetError:
            how = "reset"
        print("blackholed ended after %.2f s (%s)" % (time.monotonic() - started, how), flush=True)
        """;

    /// <summary>Whether a new connection through <paramref name="port"/> is ended (EOF or reset) within <paramref name="limit"/>.</summary>
    private static async Task<bool> EndsWithinAsync(int port, TimeSpan limit)
    {
        Socket socket;
        try
        {
            socket = await Loopback.ConnectAsync(Loopback.Bouncer, port);
        }
        catch (SocketException)
        {
            // Accepted and reset so quickly that the connect here had not even completed.
            return true;
        }

        using var owned = socket;
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[256];
        try
        {
            // Bounded: each read either returns data (a greeting would be wrong here) or ends it.
            for (var i = 0; i < 100; i++)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }

            return false;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task HealthyRoundTripAsync(int port, int round)
    {
        var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            Assert.Equal("A", name);
            Assert.Equal($"round {round}", await TaggedTcpTarget.EchoAsync(socket, $"round {round}"));
        }
    }

    /// <summary>Sends until a send has not completed for half a second, or <paramref name="limit"/> has passed; returns the bytes taken.</summary>
    private static async Task<long> PushUntilBlockedAsync(Socket socket, TimeSpan limit)
    {
        var block = new byte[64 * 1024];
        var pushed = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit && pushed < 256L * 1024 * 1024)
        {
            using var stalled = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                pushed += await socket.SendAsync(block, SocketFlags.None, stalled.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return pushed;
    }

    /// <summary>Accepts and resets (SO_LINGER 0) every connection until stopped.</summary>
    private static async Task ResetEveryConnectionAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var accepted = await listener.AcceptAsync(stop);
                accepted.LingerState = new LingerOption(true, 0);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
