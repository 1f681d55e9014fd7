using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class TcpTimeoutAndFailureTests
{
    [Fact(Timeout = 20_000)]
    public async Task A_refused_target_resets_the_client()
    {
        // A bound socket that never listens: connecting to it is refused, with no race.
        var address = TestNet.NextAddress();
        using var closedPort = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closedPort.Bind(new IPEndPoint(address, 0));
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, (IPEndPoint)closedPort.LocalEndPoint!)));

        // The reset may arrive before the client's own connect call has returned; either way it is a reset.
        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.RemotePeerError, closed.Reason);
        Assert.Equal("Connection refused", closed.ErrorDetail);
        Assert.Equal((IPEndPoint)closedPort.LocalEndPoint!, closed.Target);
        Assert.DoesNotContain(bouncer.Events.Events, e => e.Phase == SessionPhase.Opened);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_target_that_never_accepts_ends_in_connect_timeout()
    {
        using var silent = await SilentListener.StartAsync();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, silent.EndPoint).WithTimeouts(connect: TimeSpan.FromSeconds(1));
        var clock = new FakeClock();
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });

        using var client = await TestNet.ConnectAsync(listen);

        // The connect is under way once its deadline is armed; a second later it has passed.
        await clock.WaitForWaitAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("reset", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(15)));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.ConnectTimeout, closed.Reason);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(4_294_967)] // the longest a timer holds, in whole seconds
    [InlineData(4_294_968)] // one second more
    [InlineData(int.MaxValue)] // the largest the rule language accepts
    public async Task Every_connect_timeout_the_language_accepts_forwards(int seconds)
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint).WithTimeouts(connect: TimeSpan.FromSeconds(seconds));
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, new byte[10], default);
        Assert.Equal(10, (await TestNet.ReceiveExactlyAsync(client, 10, default)).Length);
    }

    [Fact(Timeout = 20_000)]
    public async Task An_idle_session_ends_after_the_io_timeout()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint).WithTimeouts(idle: TimeSpan.FromSeconds(1));
        var clock = new FakeClock();
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, new byte[10], default);
        Assert.Equal(10, (await TestNet.ReceiveExactlyAsync(client, 10, default)).Length);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("eof", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.IoTimeout, closed.Reason);
        Assert.Equal(10, closed.Counters.BytesToClient);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_busy_session_is_not_idle()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        // The session lives well past the idle timeout, but is never idle for more than a fraction of it.
        var rule = Pass(1, listen, target.EndPoint).WithTimeouts(idle: TimeSpan.FromSeconds(2));
        var clock = new FakeClock();
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });

        using var client = await TestNet.ConnectAsync(listen);
        for (var i = 0; i < 12; i++)
        {
            await TestNet.SendAllAsync(client, new byte[1], default);
            Assert.Single(await TestNet.ReceiveExactlyAsync(client, 1, default));
            clock.Advance(TimeSpan.FromMilliseconds(300));
        }

        Assert.Empty(bouncer.Events.Closed);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_half_closed_session_ends_after_the_fin_wait_timeout()
    {
        // The target takes the client's FIN but never answers it.
        var finReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            await TestNet.ReceiveToEndAsync(socket, ct);
            finReached.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint).WithTimeouts(finWait: TimeSpan.FromSeconds(1));
        var clock = new FakeClock();
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });

        using var client = await TestNet.ConnectAsync(listen);
        await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);
        client.Shutdown(SocketShutdown.Send);

        // The FIN passed on to the target was first noted by the session, which started the fin-wait clock.
        await finReached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("eof", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.TcpFinWaitTimeout, closed.Reason);
    }
}
