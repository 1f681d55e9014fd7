using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Logging;

/// <summary>
/// The log on stderr goes into a pipe that nobody reads (a stuck journald, a paused pager): the
/// pipe fills after about a hundred sessions, and forwarding must go on regardless.
/// </summary>
[Trait("Category", "Process")]
[Trait("Suite", "Reliability")]
public sealed class StuckLogReaderProcessTests : IDisposable
{
    // Each session writes two lines of about 150 bytes; a 64 KiB pipe is full after some 220, and
    // a queue of 100 lines per destination then overflows too, so lines are dropped.
    private const int Sessions = 600;
    private const string LogQueue = "100";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task ForwardingGoesOnWhileNobodyReadsTheLogAndTheDropsAreCountedWhenItMovesAgain()
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var rules = _directory.File("run.conf");
        await File.WriteAllTextAsync(rules, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", rules, "--log-queue", LogQueue], readLog: false);

        var forwarded = 0;
        for (var i = 0; i < Sessions; i++)
        {
            var (socket, name) = await ReachWhenBoundAsync(port, first: i == 0);
            using (socket)
            {
                if (name == "A" && await TaggedTcpTarget.EchoAsync(socket, $"s{i}") == $"s{i}")
                {
                    forwarded++;
                }
            }
        }

        Assert.Equal(Sessions, forwarded);

        // The reader comes back: the next lines say how many were lost while it was away.
        bouncer.StartReadingLog();
        var (last, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        last.Dispose();
        var notice = await bouncer.WaitForLineAsync("dropped: the log destination did not keep up");
        Assert.Matches(@"warning: log: \d+ lines dropped", notice);

        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact(Timeout = 120_000)]
    public async Task SigtermStopsTheDaemonWhileTheLogReaderIsStuck()
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var rules = _directory.File("run.conf");
        await File.WriteAllTextAsync(rules, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", rules, "--log-queue", LogQueue], readLog: false);
        for (var i = 0; i < Sessions; i++)
        {
            var (socket, _) = await ReachWhenBoundAsync(port, first: i == 0);
            socket.Dispose();
        }

        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>The first connection waits (bounded) for the listener, since the start line cannot be read.</summary>
    private static async Task<(System.Net.Sockets.Socket Socket, string Name)> ReachWhenBoundAsync(int port, bool first)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
            }
            catch (System.Net.Sockets.SocketException) when (first && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
