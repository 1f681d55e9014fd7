using System.Diagnostics;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Bytes arrive exactly as sent, in both directions at once, for transfers from empty to 64 MiB,
/// several sessions at a time: both ends hash what they sent and received and compare.
/// Short: 256 MiB moved in all; long: 8 GiB.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class IntegrityTests(ITestOutputHelper output) : IDisposable
{
    private const int Parallel = 4;
    private static readonly long[] Sizes = [0, 1, 1_000, 65_536, 65_537, 1 << 20, 8 << 20, 64 << 20];
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 1_800_000)]
    public async Task Every_byte_arrives_as_sent_in_both_directions()
    {
        var budget = ReliabilitySize.Pick(256L << 20, 8L << 30);
        await using var target = new IntegrityTarget(Loopback.TargetA);
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("integrity.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        // The plan is fixed by a seed: a mix of sizes and directions (up only, down only, both).
        var random = new Random(20261206);
        var plan = new List<(long Up, long Down)>();
        for (var planned = 0L; planned < budget && plan.Count < 100_000;)
        {
            var size = Sizes[random.Next(Sizes.Length)];
            var transfer = random.Next(3) switch
            {
                0 => (size, 0L),
                1 => (0L, size),
                _ => (size, Sizes[random.Next(Sizes.Length)]),
            };
            plan.Add(transfer);
            planned += transfer.Item1 + transfer.Item2;
        }

        using var deadline = new CancellationTokenSource(ReliabilitySize.Deadline(600, 1_700));
        var clock = Stopwatch.StartNew();
        var next = -1;
        var moved = 0L;
        async Task WorkAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < plan.Count; i = Interlocked.Increment(ref next))
            {
                var (up, down) = plan[i];
                await TransferAsync(i, port, up, down, deadline.Token);
                Interlocked.Add(ref moved, up + down);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => Task.Run(WorkAsync)));
        var elapsed = clock.Elapsed;

        output.WriteLine($"{plan.Count} transfers, {moved / (1 << 20)} MiB moved in {elapsed.TotalSeconds:0.0} s ({moved / (1 << 20) / elapsed.TotalSeconds:0} MiB/s), checksums equal on both ends");
        Assert.Equal(plan.Sum(p => p.Up + p.Down), moved);
        Assert.False(bouncer.HasExited);
        Assert.Equal(0, bouncer.Count("error: "));
    }

    private static async Task TransferAsync(int index, int port, long up, long down, CancellationToken cancellationToken)
    {
        using var socket = await LoopbackClients.ConnectAsync(index, Loopback.Bouncer, port, cancellationToken);
        await socket.SendAsync(IntegrityTarget.Header(up, down, index), SocketFlags.None, cancellationToken);
        var receiving = IntegrityTarget.ReceiveAsync(socket, down, cancellationToken);
        var sentHash = await IntegrityTarget.SendAsync(socket, up, index ^ 0x5a5a, cancellationToken);
        var receivedHash = await receiving;
        var theirs = new byte[64];
        await IntegrityTarget.ReceiveExactlyAsync(socket, theirs, cancellationToken);
        Assert.True(theirs.AsSpan(0, 32).SequenceEqual(sentHash), $"transfer {index}: the target received other bytes than the {up} sent");
        Assert.True(theirs.AsSpan(32, 32).SequenceEqual(receivedHash), $"transfer {index}: {down} bytes arrived other than the target sent");
        Assert.Equal(0, await socket.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken));
    }
}
