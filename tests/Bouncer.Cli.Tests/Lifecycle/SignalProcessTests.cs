using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Lifecycle;

/// <summary>SIGUSR1, SIGTERM, sd_notify, the pid file and <c>--watch</c> against the real executable.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class SignalProcessTests : IDisposable
{
    private const long TransferBytes = 200L * 1024 * 1024;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task Usr1ListsTheLiveSessionAndTheRuleCounters()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        using var bouncer = DaemonProcess.Start(["-f", Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port))]);
        await bouncer.WaitUntilServingAsync();
        var (socket, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using var _ = socket;
        Assert.Equal("hello", await TaggedTcpTarget.EchoAsync(socket, "hello"));
        var client = (System.Net.IPEndPoint)socket.LocalEndPoint!;

        bouncer.Signal(DaemonProcess.SigUsr1);
        var line = await bouncer.WaitForLineAsync("state: session ");

        Assert.Matches(@"info: state: uptime \d+s, 1 rule, 1 listener, 1 live session, rule file ", bouncer.Log);
        Assert.Contains($"state: pass(1) at {Path.Combine(_directory.Path, "run.conf")}:1: sessions 1 (1 live), refused 0, failed 0", bouncer.Log, StringComparison.Ordinal);
        Assert.Matches(
            $@"state: session pass\(1\) tcp: client 127\.0\.0\.1\.{client.Port} local 127\.0\.0\.2\.{port} outgoing 127\.0\.0\.\d+\.\d+ target 127\.0\.0\.3\.{a.Port}, age \d+s, idle \d+s, bytes 6 from client, 8 from target",
            line);
    }

    [Fact(Timeout = 60_000)]
    public async Task StartedUnderNohupAHupStillReloads()
    {
        // nohup starts the daemon with SIGHUP ignored, which the runtime would keep.
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        using var bouncer = DaemonProcess.Start(["-f", Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port))], wrap: UnderNohup);
        await bouncer.WaitUntilServingAsync();
        Assert.Contains("warning: SIGHUP was ignored when bouncer started", bouncer.Log, StringComparison.Ordinal);

        bouncer.Signal(DaemonProcess.SigHup);

        await bouncer.WaitForLineAsync("reloaded ");
    }

    [Fact(Timeout = 60_000)]
    public async Task SigtermLetsAnInFlightTransferFinishAndExitsZero()
    {
        await using var source = new TaggedTcpTarget(Loopback.TargetA, "A", streamBytes: TransferBytes);
        var port = Loopback.FreePort(Loopback.Bouncer);
        var pidPath = _directory.File("bouncer.pid");
        await File.WriteAllTextAsync(pidPath, "999999\n"); // stale, from a crashed run
        using var bouncer = DaemonProcess.Start(["-f", Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, source.Port)), "-p", pidPath]);
        await bouncer.WaitUntilServingAsync();
        Assert.Equal($"{bouncer.Id}\n", await File.ReadAllTextAsync(pidPath));

        var (socket, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using var _ = socket;
        var buffer = new byte[256 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        long received = 0;
        while (received < 1024 * 1024)
        {
            received += await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }

        bouncer.Signal(DaemonProcess.SigTerm);
        await bouncer.WaitForLineAsync("stopping: draining 1 session");
        Assert.True(await StopsAcceptingAsync(port));
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received += read;
        }

        Assert.Equal(TransferBytes, received);

        // The target's end arrived as a half-close; the session ends when the client closes too.
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(pidPath));
        Assert.Contains("info: stopped", bouncer.Log, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task SystemdHearsReadyReloadingReadyStoppingInOrder()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var socketPath = _directory.File("notify.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(socketPath));
        using var bouncer = DaemonProcess.Start(["-f", Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port))], socketPath);

        Assert.Equal("READY=1\nSTATUS=serving 1 rule, 1 listener, 0 sessions", await ReceiveAsync(receiver));
        var (socket, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            bouncer.Signal(DaemonProcess.SigHup);
            var reloading = (await ReceiveAsync(receiver)).Split('\n');
            Assert.Equal("RELOADING=1", reloading[0]);
            Assert.Matches(@"^MONOTONIC_USEC=\d+$", reloading[1]);
            Assert.Equal("READY=1\nSTATUS=serving 1 rule, 1 listener, 1 session", await ReceiveAsync(receiver));
        }

        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.StartsWith("STOPPING=1\nSTATUS=draining ", await ReceiveAsync(receiver), StringComparison.Ordinal);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact(Timeout = 60_000)]
    public async Task WatchReloadsWhenAnEditorReplacesTheFile()
    {
        await using var a = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var b = new TaggedTcpTarget(Loopback.TargetB, "B");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port));
        using var bouncer = DaemonProcess.Start(["-f", config, "--watch"]);
        await bouncer.WaitUntilServingAsync();

        // As vim does with backupcopy=no: move the old file aside, write a new one, remove the backup.
        File.Move(config, config + "~");
        await File.WriteAllTextAsync(config, "# written in two steps\n");
        await File.AppendAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetB, b.Port));
        File.Delete(config + "~");
        await bouncer.WaitForLineAsync("reloaded ");

        var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        socket.Dispose();
        Assert.Equal("B", name);
        Assert.Equal(0, bouncer.Count("reload of "));

        // As configuration tools do: write a temporary file and rename it over the rule file.
        Write("run.conf", Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, a.Port));
        await bouncer.WaitForLineAsync("reloaded ", count: 2);
        (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        socket.Dispose();
        Assert.Equal("A", name);
    }

    /// <summary>Whether connections to <paramref name="port"/> are refused within 5 seconds (the log line comes just before the listener closes).</summary>
    private static async Task<bool> StopsAcceptingAsync(int port)
    {
        for (var attempt = 0; attempt < 250; attempt++)
        {
            try
            {
                using var accepted = await Loopback.ConnectAsync(Loopback.Bouncer, port);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Caught in the listener's backlog as it closed; the next attempt tells.
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static async Task<string> ReceiveAsync(Socket receiver)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var length = await receiver.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Runs the daemon through coreutils' nohup, which ignores SIGHUP and then executes it (same process id).</summary>
    private static void UnderNohup(ProcessStartInfo start)
    {
        start.ArgumentList.Insert(0, start.FileName);
        start.FileName = "nohup";
    }

    private string Write(string name, string text)
    {
        var path = _directory.File(name);
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }
}
