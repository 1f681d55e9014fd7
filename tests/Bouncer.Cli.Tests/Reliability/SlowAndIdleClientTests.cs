using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Clients that hold a connection open and say nothing, and clients that send one byte at a time
/// (slowloris), take no service from anyone else: new sessions work meanwhile, the idle ones still
/// answer afterwards, and once all have left the descriptors are back. Short: 200 idle and 20 slow
/// clients; long: 500 and 50.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class SlowAndIdleClientTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 300_000)]
    public async Task Slow_and_idle_clients_do_not_starve_others()
    {
        var idleCount = ReliabilitySize.Pick(200, 500);
        var slowCount = ReliabilitySize.Pick(20, 50);
        var others = ReliabilitySize.Pick(100, 1_000);
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("slow.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();
        var idleDescriptors = DaemonMeasures.OpenDescriptors(bouncer);

        var idle = new List<Socket>();
        using var stopSlow = new CancellationTokenSource();
        var slow = new List<Task<int>>();
        try
        {
            for (var i = 0; i < idleCount; i++)
            {
                var socket = await LoopbackClients.ConnectAsync(i, Loopback.Bouncer, port, CancellationToken.None);
                idle.Add(socket);
                Assert.Equal("A", await TaggedTcpTarget.ReadLineAsync(socket));
            }

            for (var i = 0; i < slowCount; i++)
            {
                slow.Add(DripAsync(idleCount + i, port, stopSlow.Token));
            }

            // Everyone else is served meanwhile.
            for (var i = 0; i < others; i++)
            {
                using var socket = await LoopbackClients.ConnectAsync(idleCount + slowCount + i, Loopback.Bouncer, port, CancellationToken.None);
                Assert.Equal("A", await TaggedTcpTarget.ReadLineAsync(socket));
                Assert.Equal($"other {i}", await TaggedTcpTarget.EchoAsync(socket, $"other {i}"));
            }

            await stopSlow.CancelAsync();
            var dripped = await Task.WhenAll(slow);
            Assert.All(dripped, bytes => Assert.True(bytes > 0));

            // The idle clients were kept, not dropped, and still reach their target.
            for (var i = 0; i < idle.Count; i++)
            {
                Assert.Equal($"idle {i}", await TaggedTcpTarget.EchoAsync(idle[i], $"idle {i}"));
            }

            output.WriteLine($"{idleCount} idle and {slowCount} slow clients; {others} other sessions served; slow clients sent {dripped.Sum()} bytes");
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }

        var open = await DaemonMeasures.WaitForDescriptorsAsync(bouncer, idleDescriptors);
        Assert.InRange(open, 0, idleDescriptors);
        Assert.False(bouncer.HasExited);
    }

    /// <summary>Sends a line one byte every 50 ms until stopped (at most 900), then reads its echo; returns the bytes sent.</summary>
    private static async Task<int> DripAsync(int index, int port, CancellationToken stop)
    {
        using var socket = await LoopbackClients.ConnectAsync(index, Loopback.Bouncer, port, CancellationToken.None);
        Assert.Equal("A", await TaggedTcpTarget.ReadLineAsync(socket));
        var sent = 0;
        for (var i = 0; i < 900 && !stop.IsCancellationRequested; i++)
        {
            await socket.SendAsync("s"u8.ToArray(), SocketFlags.None);
            sent++;
            await Task.Delay(50, CancellationToken.None);
        }

        Assert.Equal(new string('s', sent), await TaggedTcpTarget.EchoAsync(socket, string.Empty));
        return sent;
    }
}
