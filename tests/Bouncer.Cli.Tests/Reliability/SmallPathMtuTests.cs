using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// A UDP path whose MTU is smaller than the datagrams on it: the kernel refuses a run of equal
/// datagrams sent as one (segmentation offload), and the daemon must send them one by one (as IP
/// fragments), lose none, and say once that it stopped; with <c>BOUNCER_UDP_SEGMENTATION=off</c>
/// it never tries, and says nothing. Loopback's MTU is lowered inside a network namespace made for
/// the test, so the host's own loopback is never touched.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class SmallPathMtuTests(ITestOutputHelper output) : IDisposable
{
    private const int ListenPort = 7101;
    private const int EchoPort = 7102;

    /// <summary>
    /// Python, run in the namespace: an echo service that reads a whole round before it answers
    /// (so the replies reach the daemon in a burst, as the requests do), and a client that sends
    /// rounds of 16 datagrams of 1,400 bytes and checks every echo, byte for byte and in order.
    /// </summary>
    private const string BurstClient = """
        import socket, sys, threading
        listen, echo, rounds, per_round, size = (int(a) for a in sys.argv[1:6])
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", echo))
        def serve():
            while True:
                burst = [server.recvfrom(65536) for _ in range(per_round)]
                for data, sender in burst:
                    server.sendto(data, sender)
        threading.Thread(target=serve, daemon=True).start()
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        client.settimeout(10)
        for r in range(rounds):
            sent = [bytes([(r * 31 + i + j) % 256 for j in range(size)]) for i in range(per_round)]
            for datagram in sent:
                client.sendto(datagram, ("127.0.0.1", listen))
            for i, datagram in enumerate(sent):
                got = client.recv(65536)
                if got != datagram:
                    print("round %d datagram %d: %d bytes came back, not the %d sent" % (r, i, len(got), len(datagram)), flush=True)
                    sys.exit(1)
        print("ok %d" % (rounds * per_round), flush=True)
        """;

    private readonly TempDirectory _directory = new();
    private readonly string _namespace = $"bouncer-mtu-{System.Environment.ProcessId}";

    public void Dispose()
    {
        NetworkNamespaces.RemoveAll(_namespace);
        _directory.Dispose();
    }

    [NetworkNamespaceTheory(Timeout = 120_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Datagrams_larger_than_the_path_MTU_all_arrive_whole_and_a_refused_offload_is_said_once(bool segmentation)
    {
        Assert.True(NetworkNamespaces.Create(_namespace, ["link", "set", "lo", "mtu", "1280"]));
        var config = _directory.File("mtu.conf");
        await File.WriteAllTextAsync(
            config,
            $"client pass {{ from: 127.0.0.0/8 to: 127.0.0.1 port = {ListenPort} bounce to: 127.0.0.1 port = {EchoPort} protocol: udp }}\n");
        using var bouncer = DaemonProcess.Start(
            ["-f", config],
            environment: segmentation ? null : new Dictionary<string, string> { ["BOUNCER_UDP_SEGMENTATION"] = "off" },
            wrap: NetworkNamespaces.Wrap(_namespace));
        await bouncer.WaitUntilServingAsync();

        var script = Path.Combine(_directory.Path, "burst-client.py");
        await File.WriteAllTextAsync(script, BurstClient);
        var (status, text) = await NetworkNamespaces.RunInAsync(_namespace, "python3", script, $"{ListenPort}", $"{EchoPort}", "20", "16", "1400");
        output.WriteLine(text);
        output.WriteLine(bouncer.Log);

        Assert.Equal(0, status);
        Assert.Contains("ok 320", text, StringComparison.Ordinal);
        if (segmentation)
        {
            await bouncer.WaitForLineAsync("segmentation offload", timeout: TimeSpan.FromSeconds(5));
        }

        Assert.Equal(segmentation ? 1 : 0, bouncer.Log.Split('\n').Count(line => line.Contains("segmentation offload", StringComparison.Ordinal)));
        Assert.False(bouncer.HasExited);
    }
}
