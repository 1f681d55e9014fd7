using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Daemon;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Daemon;

public sealed class SystemdNotifierTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 20_000)]
    public async Task SendsEachStateChangeAsOneDatagramToAPathSocket()
    {
        var path = _directory.File("notify.sock");
        using var receiver = Bind(path);
        using var notifier = new SystemdNotifier(path, TimeProvider.System);

        Assert.True(notifier.IsEnabled);
        Assert.True(notifier.Ready("serving 2 rules"));
        Assert.Equal("READY=1\nSTATUS=serving 2 rules", await ReceiveAsync(receiver));

        var before = notifier.MonotonicMicroseconds();
        Assert.True(notifier.Reloading("reloading"));
        var reloading = (await ReceiveAsync(receiver)).Split('\n');
        Assert.Equal("RELOADING=1", reloading[0]);
        Assert.StartsWith("MONOTONIC_USEC=", reloading[1], StringComparison.Ordinal);
        var stamp = long.Parse(reloading[1]["MONOTONIC_USEC=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before, notifier.MonotonicMicroseconds());
        Assert.Equal("STATUS=reloading", reloading[2]);

        Assert.True(notifier.Stopping("draining"));
        Assert.Equal("STOPPING=1\nSTATUS=draining", await ReceiveAsync(receiver));
        Assert.True(notifier.Status("3 sessions"));
        Assert.Equal("STATUS=3 sessions", await ReceiveAsync(receiver));
    }

    [Fact(Timeout = 20_000)]
    public async Task AtSignMeansTheAbstractNamespace()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Abstract Unix sockets exist only on Linux (xunit 2 has no runtime skip).
        }

        var name = $"bouncer-test-{Guid.NewGuid():N}";
        using var receiver = Bind("\0" + name);
        using var notifier = new SystemdNotifier("@" + name, TimeProvider.System);

        Assert.True(notifier.Ready("ok"));

        Assert.Equal("READY=1\nSTATUS=ok", await ReceiveAsync(receiver));
    }

    [Fact]
    public void UnsetSocketIsSilent()
    {
        using var notifier = new SystemdNotifier(null, TimeProvider.System);
        using var empty = new SystemdNotifier(string.Empty, TimeProvider.System);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Ready("x"));
        Assert.False(empty.Stopping("x"));
    }

    [Fact]
    public void AbsentListenerIsNotAnError()
    {
        using var notifier = new SystemdNotifier(_directory.File("nobody-listens.sock"), TimeProvider.System);

        Assert.False(notifier.Ready("x"));
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static async Task<string> ReceiveAsync(Socket receiver)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var length = await receiver.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
