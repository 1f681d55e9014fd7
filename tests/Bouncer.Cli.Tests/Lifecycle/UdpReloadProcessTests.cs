using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Lifecycle;

/// <summary>SIGHUP and UDP flows: a flow keeps its rule; a listener that is gone takes its flows with it.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class UdpReloadProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task ALiveFlowKeepsItsRuleWhileNewClientsFollowTheNewOne()
    {
        await using var a = new TaggedUdpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedUdpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer, System.Net.Sockets.ProtocolType.Udp);
        var config = Write(Pass("udp", Loopback.Bouncer, port, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();
        using var early = TaggedUdpTarget.Client(Loopback.Bouncer, port);
        Assert.Equal("A:one", await TaggedUdpTarget.AskAsync(early, "one"));

        Write(Pass("udp", Loopback.Bouncer, port, Loopback.TargetB, b.Port));
        bouncer.Signal(DaemonProcess.SigHup);
        var summary = await bouncer.WaitForLineAsync("reloaded ");

        Assert.Contains("rules: 0 added, 0 removed, 1 changed, 0 unchanged; listeners: 0 opened, 1 kept, 0 closed", summary, StringComparison.Ordinal);
        Assert.Equal("A:two", await TaggedUdpTarget.AskAsync(early, "two"));
        using var late = TaggedUdpTarget.Client(Loopback.Bouncer, port);
        Assert.Equal("B:three", await TaggedUdpTarget.AskAsync(late, "three"));
    }

    [Fact(Timeout = 60_000)]
    public async Task ARemovedListenerEndsItsFlows()
    {
        await using var a = new TaggedUdpTarget(Loopback.TargetA, "A");
        var kept = Loopback.FreePort(Loopback.Bouncer, System.Net.Sockets.ProtocolType.Udp);
        var removed = Loopback.FreePort(Loopback.Bouncer, System.Net.Sockets.ProtocolType.Udp);
        var config = Write(
            Pass("udp", Loopback.Bouncer, kept, Loopback.TargetA, a.Port) +
            Pass("udp", Loopback.Bouncer, removed, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();
        using var doomed = TaggedUdpTarget.Client(Loopback.Bouncer, removed);
        Assert.Equal("A:one", await TaggedUdpTarget.AskAsync(doomed, "one"));

        Write(Pass("udp", Loopback.Bouncer, kept, Loopback.TargetA, a.Port));
        bouncer.Signal(DaemonProcess.SigHup);
        await bouncer.WaitForLineAsync("reloaded ");

        var ended = await bouncer.WaitForLineAsync("administrative termination");
        Assert.Contains($"pass(2): udp/udpassociate ]: ", ended, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.2.{removed}", ended, StringComparison.Ordinal);
        Assert.Null(await TaggedUdpTarget.AskAsync(doomed, "two"));
    }

    private string Write(string text)
    {
        var path = _directory.File("run.conf");
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }
}
