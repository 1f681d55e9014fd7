using System.Diagnostics;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Many sessions one after another (eight at a time): once they have ended, the daemon holds the
/// descriptors it held idle, and its resident memory has stopped growing. Short: 10,000 sessions
/// (the heap reaches its working size within the first few thousand, on each I/O thread); long:
/// 100,000.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class SessionPlateauTests(ITestOutputHelper output) : IDisposable
{
    private const int Workers = 8;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 1_800_000)]
    public async Task After_many_sessions_descriptors_and_memory_are_back_to_a_plateau()
    {
        var sessions = ReliabilitySize.Count("SESSIONS", 10_000, 100_000);
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("plateau.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        // The short run caps the youngest generation at 4 MiB (the default is sized from the
        // processor's cache, tens of MiB): 10,000 sessions then span many collections, and a
        // plateau can show. It also compiles the framework build's code once, fully: tiered
        // compilation recompiles hot code a while into the run, which added 4-9 MiB in one step,
        // in the first half or, on a slow machine, in the second. The native binary has no
        // compiler to run. The long run keeps the defaults; its step falls early.
        var environment = ReliabilitySize.IsLong
            ? null
            : new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "400000", ["DOTNET_TieredCompilation"] = "0" };
        using var bouncer = DaemonProcess.Start(["-f", config], environment: environment);
        await bouncer.WaitUntilServingAsync();
        var idle = DaemonMeasures.OpenDescriptors(bouncer);

        // Ten blocks of sessions, the resident memory read after each once the block's sessions
        // have ended. The first blocks warm the daemon up (code paths, pools, the heap growing to
        // its working size); the plateau is what the second half must not rise above.
        var clock = Stopwatch.StartNew();
        var resident = new long[10];
        var open = 0;
        for (var block = 0; block < resident.Length; block++)
        {
            await RunSessionsAsync(port, block * (sessions / 10), sessions / 10, ReliabilitySize.Deadline(60, 300));
            open = await DaemonMeasures.WaitForDescriptorsAsync(bouncer, idle);
            resident[block] = DaemonMeasures.ResidentKiB(bouncer);
        }

        var elapsed = clock.Elapsed;
        var firstHalf = resident[..5].Max();
        var secondHalf = resident[5..].Max();
        output.WriteLine(
            $"{sessions} sessions in {elapsed.TotalSeconds:0.0} s ({sessions / elapsed.TotalSeconds:0}/s); descriptors idle {idle}, after {open}; " +
            $"resident KiB after each tenth: {string.Join(' ', resident)}");
        Assert.InRange(open, 0, idle);
        Assert.False(bouncer.HasExited);

        // Growth with the count would show as a second half above the first; the allowance is
        // for the heap settling, not for a leak (200 bytes a session would be 20 MiB in the long run).
        Assert.True(secondHalf <= firstHalf + Math.Max(8 * 1024, firstHalf / 8),
            $"resident memory rose from {firstHalf} KiB (first half) to {secondHalf} KiB (second half)");
        Assert.Equal(0, bouncer.Count("error: "));
    }

    /// <summary>Runs <paramref name="count"/> sessions, <see cref="Workers"/> at a time; any failure fails the test.</summary>
    private static async Task RunSessionsAsync(int port, int first, int count, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var next = -1;
        async Task WorkAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                timeout.Token.ThrowIfCancellationRequested();
                using var socket = await LoopbackClients.ConnectAsync(first + i, Loopback.Bouncer, port, timeout.Token);
                Assert.Equal("A", await TaggedTcpTarget.ReadLineAsync(socket));
                Assert.Equal("ping", await TaggedTcpTarget.EchoAsync(socket, "ping"));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync)));
    }
}
