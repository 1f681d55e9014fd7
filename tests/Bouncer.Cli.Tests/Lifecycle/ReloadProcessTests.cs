using System.Diagnostics;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Lifecycle;

/// <summary>SIGHUP against the real executable: new rules for new connections, old ones undisturbed.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class ReloadProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public ReloadProcessTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task HupSendsNewConnectionsToTheNewTargetWhileAnOpenOneKeepsTheOld()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedTcpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var removedPort = Loopback.FreePort(Loopback.Bouncer);
        var config = Write(
            Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port) +
            Pass("tcp", Loopback.Bouncer, removedPort, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        var (before, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using var _ = before;
        Assert.Equal("A", name);
        Assert.Equal("one", await TaggedTcpTarget.EchoAsync(before, "one"));

        Write(Pass("tcp", Loopback.Bouncer, port, Loopback.TargetB, b.Port));
        bouncer.Signal(DaemonProcess.SigHup);
        var summary = await bouncer.WaitForLineAsync("reloaded ");

        Assert.Contains("rules: 0 added, 1 removed, 1 changed, 0 unchanged; listeners: 0 opened, 1 kept, 1 closed; log files reopened", summary, StringComparison.Ordinal);
        var (after, afterName) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (after)
        {
            Assert.Equal("B", afterName);
        }

        // The connection opened before the reload still streams to A under its old rule.
        Assert.Equal("two", await TaggedTcpTarget.EchoAsync(before, "two"));
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(Loopback.Bouncer, removedPort));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task ABrokenFileIsReportedAndTheOldRulesKeepServing()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = Write(Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        Write("# broken\nclient pass { from: 127.0.0.1 to: 127.0.0.2 port = 80 bounce to: 127.0.0.3 }\ntimeout.io: 5\n");
        bouncer.Signal(DaemonProcess.SigHup);
        var failed = await bouncer.WaitForLineAsync("reload of ");

        Assert.Contains("the running configuration is unchanged", failed, StringComparison.Ordinal);
        Assert.Matches(@"error: .*run\.conf:2:\d+: error: ", bouncer.Log);
        Assert.Matches(@"error: .*run\.conf:3:\d+: error: ", bouncer.Log);
        var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            Assert.Equal("A", name);
        }

        Assert.False(bouncer.HasExited);
    }

    [Fact(Timeout = 60_000)]
    public async Task TenReloadsWhileFourClientsConnectRefuseNoConnection()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedTcpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer);
        string Version(int i) => i % 2 == 0
            ? Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port)
            : Pass("tcp", Loopback.Bouncer, port, Loopback.TargetB, b.Port);
        var config = Write(Version(0));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        using var reloading = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => ConnectRepeatedlyAsync(port, reloading.Token)).ToArray();
        for (var i = 1; i <= 10; i++)
        {
            Write(Version(i));
            bouncer.Signal(DaemonProcess.SigHup);
            await bouncer.WaitForLineAsync("reloaded ", count: i);
        }

        await reloading.CancelAsync();
        var counts = await Task.WhenAll(clients);

        _output.WriteLine($"connections per client during 10 reloads: {string.Join(", ", counts)}");
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.Equal(0, bouncer.Count("reload of "));
    }

    [Fact(Timeout = 60_000)]
    public async Task TenThousandRulesReloadQuickly()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedTcpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var otherPort = Loopback.FreePort(Loopback.Bouncer);
        var config = Write(LargeFile(port, otherPort, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitForLineAsync(" started: 10000 rules", timeout: TimeSpan.FromSeconds(30));

        Write(LargeFile(port, otherPort, Loopback.TargetB, b.Port));
        var signalled = Stopwatch.StartNew();
        bouncer.Signal(DaemonProcess.SigHup);
        string name;
        var attempts = 0;
        do
        {
            var (socket, reached) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
            socket.Dispose();
            name = reached;
            attempts++;

            // Bounded by time: a reload soon after start on a busy machine can take a second or more.
            if (name != "B")
            {
                await Task.Delay(5);
            }
        }
        while (name != "B" && attempts < 4000 && signalled.Elapsed < TimeSpan.FromSeconds(20));

        var observed = signalled.Elapsed;
        var summary = await bouncer.WaitForLineAsync("reloaded ");
        _output.WriteLine(summary);
        _output.WriteLine($"signal to first connection served by the new rule, seen from a client: {observed.TotalMilliseconds:0} ms");
        Assert.Equal("B", name);
        Assert.Contains("rules: 0 added, 0 removed, 1 changed, 9999 unchanged; listeners: 0 opened, 2 kept, 0 closed", summary, StringComparison.Ordinal);
    }

    /// <summary>10,000 rules: the first decides for 127.0.0.1; the others are for other clients, on two ports.</summary>
    private static string LargeFile(int port, int otherPort, System.Net.IPAddress target, int targetPort)
    {
        var text = new System.Text.StringBuilder(
            $"client pass {{ from: 127.0.0.1/32 to: {Loopback.Bouncer} port = {port} bounce to: {target} port = {targetPort} protocol: tcp }}\n");
        for (var i = 1; i < 10_000; i++)
        {
            text.Append($"client pass {{ from: 127.{1 + (i / 65536)}.{i / 256 % 256}.{i % 256}/32 to: {Loopback.Bouncer} port = {(i % 2 == 0 ? port : otherPort)} ")
                .Append($"bounce to: {Loopback.TargetA} port = 9 protocol: tcp log: connect }}\n");
        }

        return text.ToString();
    }

    private static async Task<int> ConnectRepeatedlyAsync(int port, CancellationToken stop)
    {
        var connections = 0;
        for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
        {
            // Any refusal, reset or missing greeting throws and fails the test.
            var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
            using (socket)
            {
                Assert.Equal(name.ToLowerInvariant(), await TaggedTcpTarget.EchoAsync(socket, name.ToLowerInvariant()));
            }

            connections++;
        }

        return connections;
    }

    private string Write(string text)
    {
        // Replace the file the way editors and configuration tools do: a new file renamed into place.
        var path = _directory.File("run.conf");
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
