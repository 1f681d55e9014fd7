using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Lifecycle;

/// <summary>
/// <c>user.unprivileged</c> against the real executable started as root: it binds a port below
/// 1024, becomes <c>nobody</c> in every thread, keeps serving, and a reload cannot add another
/// low port; a start that cannot drop never serves as root.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", "Reliability")]
public sealed class PrivilegeDropProcessTests : IDisposable
{
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _directory = new();

    public PrivilegeDropProcessTests()
    {
        // The daemon reads its rule file again on SIGHUP, by then as nobody.
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_directory.Path, (UnixFileMode)0b111_101_101);
        }
    }

    public void Dispose() => _directory.Dispose();

    [RootFact(Timeout = 90_000)]
    public async Task StartedAsRootItServesALowPortAsNobodyAndAReloadCannotAddAnother()
    {
        var (uid, gid) = RootHost.Nobody!.Value;
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        var low = FreeLowPort(Loopback.Bouncer);
        var secondLow = FreeLowPort(Loopback.Bouncer, low);
        var high = Loopback.FreePort(Loopback.Bouncer);
        var config = Write("user.unprivileged: nobody\n" + Pass("tcp", Loopback.Bouncer, low, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        Assert.Contains($"info: dropped root: now running as user nobody (uid {uid}, gid {gid}) with no capabilities", bouncer.Log, StringComparison.Ordinal);
        var (before, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, low);
        using var _ = before;
        Assert.Equal("A", name);
        Assert.Equal("one", await TaggedTcpTarget.EchoAsync(before, "one"));

        // The kernel's view of every thread, the ones started for the session above included.
        var threads = ThreadStatuses(bouncer.Id);
        Assert.NotEmpty(threads);
        Assert.All(threads, status =>
        {
            Assert.Equal($"{uid}\t{uid}\t{uid}\t{uid}", Field(status, "Uid"));
            Assert.Equal($"{gid}\t{gid}\t{gid}\t{gid}", Field(status, "Gid"));
            Assert.Equal($"{gid}", Field(status, "Groups"));
            Assert.Equal("0000000000000000", Field(status, "CapPrm"));
            Assert.Equal("0000000000000000", Field(status, "CapEff"));
        });

        Write("user.unprivileged: nobody\n" +
            Pass("tcp", Loopback.Bouncer, low, Loopback.TargetA, a.Port) +
            Pass("tcp", Loopback.Bouncer, secondLow, Loopback.TargetA, a.Port));
        bouncer.Signal(DaemonProcess.SigHup);
        var failed = await bouncer.WaitForLineAsync("reload of ");

        Assert.Contains(
            $"binding port {secondLow} below 1024 needs CAP_NET_BIND_SERVICE, which was dropped with user.unprivileged: nobody; " +
            "restart bouncer to bind it, or run it under systemd as that user with AmbientCapabilities=CAP_NET_BIND_SERVICE instead of user.unprivileged; " +
            "the running configuration is unchanged",
            failed,
            StringComparison.Ordinal);
        Assert.Equal("two", await TaggedTcpTarget.EchoAsync(before, "two"));
        await AssertReachesAsync(low, "A");
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(Loopback.Bouncer, secondLow));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // A reload that needs no privilege still works as nobody: the file is read and a high port bound.
        Write("user.unprivileged: nobody\n" +
            Pass("tcp", Loopback.Bouncer, low, Loopback.TargetA, a.Port) +
            Pass("tcp", Loopback.Bouncer, high, Loopback.TargetA, a.Port));
        bouncer.Signal(DaemonProcess.SigHup);
        Assert.Contains("listeners: 1 opened, 1 kept, 0 closed", await bouncer.WaitForLineAsync("reloaded "), StringComparison.Ordinal);
        await AssertReachesAsync(high, "A");

        // Without the open session there is nothing to drain, so the stop is quick.
        before.Dispose();
        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(ExitWait));
        Assert.Contains("info: stopped", bouncer.Log, StringComparison.Ordinal);
    }

    [RootFact(Timeout = 60_000)]
    public async Task StartedAsRootWithAnUnknownUserItRefusesBeforeBindingAndACheckOnlyWarns()
    {
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = Write("user.unprivileged: bouncer-test-no-such-user\n" + Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, 9));
        using var bouncer = DaemonProcess.Start(["-f", config]);

        Assert.Equal(1, await bouncer.WaitForExitAsync(ExitWait));
        Assert.Contains("bouncer: user.unprivileged: no user 'bouncer-test-no-such-user' on this host; refusing to start as root", bouncer.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("info: bouncer ", bouncer.Log, StringComparison.Ordinal);

        var (code, stdout, stderr) = await BouncerProcess.RunAsync("-V", "-f", config);
        Assert.Equal(0, code);
        Assert.Contains("bouncer: warning: user.unprivileged: no user 'bouncer-test-no-such-user' on this host; starting bouncer as root with this file will fail", stderr, StringComparison.Ordinal);
        Assert.Contains("user.unprivileged: bouncer-test-no-such-user", stdout, StringComparison.Ordinal);
    }

    [RootFact(Timeout = 60_000, NeedsSetpriv = true)]
    public async Task WhenTheKernelRefusesTheDropItStopsInsteadOfServingAsRoot()
    {
        var (_, gid) = RootHost.Nobody!.Value;
        var port = FreeLowPort(Loopback.Bouncer);
        var config = Write("user.unprivileged: nobody\n" + Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, 9));

        // Root without CAP_SETUID and CAP_SETGID (as in a container that drops them): it can bind, not drop.
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: start =>
        {
            var program = start.FileName;
            start.FileName = RootHost.Setpriv!;
            start.ArgumentList.Insert(0, "--bounding-set=-setuid,-setgid");
            start.ArgumentList.Insert(1, "--");
            start.ArgumentList.Insert(2, program);
        });

        Assert.Equal(3, await bouncer.WaitForExitAsync(ExitWait));
        Assert.Contains(
            $"error: cannot drop root to user.unprivileged: nobody: setgroups([{gid}]) failed: Operation not permitted (errno 1); stopping rather than serving as root",
            bouncer.Log,
            StringComparison.Ordinal);
        Assert.DoesNotContain("info: bouncer ", bouncer.Log, StringComparison.Ordinal);
    }

    private static async Task AssertReachesAsync(int port, string target)
    {
        var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            Assert.Equal(target, name);
        }
    }

    /// <summary>A port below 1024 that was free a moment ago, tried from a random start so parallel runs rarely pick the same one.</summary>
    private static int FreeLowPort(IPAddress address, int except = 0)
    {
        const int First = 600;
        const int Count = 1024 - First;
        var start = Random.Shared.Next(Count);
        for (var i = 0; i < Count; i++)
        {
            var port = First + ((start + i) % Count);
            if (port == except)
            {
                continue;
            }

            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(address, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next one.
            }
        }

        throw new InvalidOperationException($"no free TCP port between {First} and 1023 on {address}");
    }

    /// <summary>/proc/PID/task/*/status of every thread that is still there.</summary>
    private static List<string> ThreadStatuses(int pid)
    {
        var statuses = new List<string>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                statuses.Add(File.ReadAllText(Path.Combine(task, "status")));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The thread ended since the listing.
            }
        }

        return statuses;
    }

    /// <summary>The value of a "Name:\tvalue" line, trimmed.</summary>
    private static string Field(string status, string name) =>
        status.Split('\n').Single(line => line.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    private string Write(string text)
    {
        var path = _directory.File("run.conf");
        File.WriteAllText(path, text);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        }

        return path;
    }
}
