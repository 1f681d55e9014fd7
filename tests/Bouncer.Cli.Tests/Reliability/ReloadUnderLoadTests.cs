using System.Diagnostics;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Reloads one after another while clients keep connecting: no connection is refused, reset or
/// left without its target's greeting, and every reload is applied. Short: 24 reloads; long: 100.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class ReloadUnderLoadTests(ITestOutputHelper output) : IDisposable
{
    private const int Clients = 8;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 900_000)]
    public async Task Reloads_under_load_refuse_nothing()
    {
        var reloads = ReliabilitySize.Count("RELOADS", 24, 100);
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedTcpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer);
        string Version(int i) => i % 2 == 0
            ? Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port)
            : Pass("tcp", Loopback.Bouncer, port, Loopback.TargetB, b.Port);
        var config = Write(Version(0));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        using var loading = new CancellationTokenSource(ReliabilitySize.Deadline(300, 800));
        var started = 0;
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ConnectRepeatedlyAsync(c, port, () => Interlocked.Increment(ref started), loading.Token))).ToArray();
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= reloads; i++)
        {
            // Some load between reloads, however fast the reload itself is.
            var before = Volatile.Read(ref started);
            for (var wait = 0; wait < 200 && Volatile.Read(ref started) < before + 20; wait++)
            {
                await Task.Delay(5);
            }

            Write(Version(i));
            bouncer.Signal(DaemonProcess.SigHup);
            await bouncer.WaitForLineAsync("reloaded ", count: i, timeout: TimeSpan.FromSeconds(30));
        }

        var elapsed = clock.Elapsed;
        await loading.CancelAsync();
        var counts = await Task.WhenAll(clients);
        var total = counts.Sum();

        output.WriteLine($"{reloads} reloads in {elapsed.TotalSeconds:0.0} s under {total} connections ({total / elapsed.TotalSeconds:0}/s)");
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.True(total >= reloads * 20, $"only {total} connections during {reloads} reloads");
        Assert.Equal(reloads, bouncer.Count("reloaded "));
        Assert.Equal(0, bouncer.Count("reload of "));
        Assert.Equal(0, bouncer.Count("error: "));
    }

    /// <summary>Connects, reads the greeting and an echo, closes; again until stopped. Any failure throws.</summary>
    private static async Task<int> ConnectRepeatedlyAsync(int client, int port, Func<int> starting, CancellationToken stop)
    {
        var connections = 0;
        for (var i = 0; i < 1_000_000 && !stop.IsCancellationRequested; i++)
        {
            starting();
            using var socket = await LoopbackClients.ConnectAsync((i * Clients) + client, Loopback.Bouncer, port, CancellationToken.None);
            var name = await TaggedTcpTarget.ReadLineAsync(socket);
            Assert.Contains(name, new[] { "A", "B" });
            Assert.Equal("x", await TaggedTcpTarget.EchoAsync(socket, "x"));
            connections++;
        }

        return connections;
    }

    private string Write(string text)
    {
        // Replaced the way editors and configuration tools do: a new file renamed into place.
        var path = _directory.File("run.conf");
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }
}
