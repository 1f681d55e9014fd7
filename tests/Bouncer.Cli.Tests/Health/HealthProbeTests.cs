using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Health;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Health;

/// <summary>
/// <c>bouncer health</c>'s verdicts against plain loopback listeners that behave as a serving, a
/// stuck and an absent Bouncer would.
/// </summary>
public sealed class HealthProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    [Theory]
    [InlineData(false, "(closed)")]
    [InlineData(true, "(reset)")]
    public async Task AListenerThatAcceptsAndEndsTheConnectionServes(bool reset, string how)
    {
        using var listener = Listen(IPAddress.Loopback);
        var accepting = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync();
            if (reset)
            {
                accepted.LingerState = new LingerOption(true, 0); // What a block rule does.
            }
        });

        var (serving, message) = await HealthProbe.ProbeAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None);
        await accepting;

        Assert.True(serving, message);
        Assert.Contains(how, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataFromAForwardingRuleCountsAsServing()
    {
        using var listener = Listen(IPAddress.IPv6Loopback);
        var probed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepting = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync();
            await accepted.SendAsync("220 ready\r\n"u8.ToArray());
            await probed.Task; // Keeps the connection open until the verdict: the data alone must do.
        });

        var (serving, message) = await HealthProbe.ProbeAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None);
        probed.SetResult();

        Assert.True(serving, message);
        Assert.Contains("[::1]:", message, StringComparison.Ordinal);
        Assert.Contains("(data)", message, StringComparison.Ordinal);
        await accepting;
    }

    [Fact]
    public async Task AListenerWhoseProcessNeverAcceptsDoesNotServe()
    {
        // The kernel completes the handshake from the backlog: a stopped or hung Bouncer looks like this.
        using var listener = Listen(IPAddress.Loopback);

        var (serving, message) = await HealthProbe.ProbeAsync((IPEndPoint)listener.LocalEndPoint!, Timeout, TimeProvider.System, CancellationToken.None);

        Assert.False(serving);
        Assert.Contains("connected, but Bouncer did not answer within 300 ms", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListeningDoesNotServe()
    {
        var port = Loopback.FreePort(IPAddress.Loopback);

        var (serving, message) = await HealthProbe.ProbeAsync(new IPEndPoint(IPAddress.Loopback, port), Timeout, TimeProvider.System, CancellationToken.None);

        Assert.False(serving);
        Assert.Contains("connection refused", message, StringComparison.Ordinal);
    }

    private static Socket Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen(8);
        return socket;
    }
}
