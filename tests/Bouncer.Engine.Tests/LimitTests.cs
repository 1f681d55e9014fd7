using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class LimitTests
{
    [Fact(Timeout = 20_000)]
    public async Task Session_max_refuses_beyond_the_limit_and_frees_places()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Limits = SessionLimits.None with { Max = 2 } };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        using var first = await OpenAsync(listen, bouncer, 1);
        using var second = await OpenAsync(listen, bouncer, 2);
        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        var refused = await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached);
        Assert.Equal("session.max", refused.ErrorDetail);
        Assert.Contains(bouncer.Log.Warnings, l => l.Contains("pass(1): session.max reached", StringComparison.Ordinal));

        first.Shutdown(SocketShutdown.Send);
        await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Reason == EndReason.LocalClientClosed);
        using var third = await OpenAsync(listen, bouncer, 3);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_reload_that_keeps_a_rule_keeps_its_places_taken()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        Rule Limited() => Pass(1, listen, target.EndPoint) with { Limits = SessionLimits.None with { Max = 1 } };
        await using var bouncer = await EngineHarness.StartAsync(Table(Limited()));
        using var first = await OpenAsync(listen, bouncer, 1);

        // A new table whose rule is equal in content but a new object: the live session still holds the only place.
        await bouncer.Engine.ReloadAsync(Table(Limited()), CancellationToken.None);
        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        Assert.Equal("session.max", (await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached)).ErrorDetail);

        // A changed rule starts afresh.
        await bouncer.Engine.ReloadAsync(Table(Limited() with { Limits = SessionLimits.None with { Max = 2 } }), CancellationToken.None);
        using var second = await OpenAsync(listen, bouncer, 2);
    }

    [Fact(Timeout = 20_000)]
    public async Task Session_throttle_refuses_the_session_over_the_rate()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Limits = SessionLimits.None with { Throttle = new Throttle(2, TimeSpan.FromSeconds(60)) } };
        var clock = new FakeClock();
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });

        using var first = await OpenAsync(listen, bouncer, 1);
        using var second = await OpenAsync(listen, bouncer, 2);

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        var refused = await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached);
        Assert.Equal("session.throttle", refused.ErrorDetail);

        // Two per minute refill one token every 30 s.
        clock.Advance(TimeSpan.FromSeconds(30));
        using var third = await OpenAsync(listen, bouncer, 3);
    }

    [Fact(Timeout = 20_000)]
    public async Task State_max_limits_each_client_address_separately()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Limits = SessionLimits.None with { StateMax = 1 } };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));
        var clientA = TestNet.NextAddress();
        var clientB = TestNet.NextAddress();

        using var fromA = await OpenAsync(listen, bouncer, 1, clientA);
        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(clientA, 0), TimeSpan.FromSeconds(10)));
        var refused = await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached);
        Assert.Equal("session.state.max", refused.ErrorDetail);
        using var fromB = await OpenAsync(listen, bouncer, 2, clientB);
    }

    [Fact(Timeout = 20_000)]
    public async Task State_throttle_limits_each_client_address_separately()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Limits = SessionLimits.None with { StateThrottle = new Throttle(1, TimeSpan.FromSeconds(60)) } };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = new FakeClock() });
        var clientA = TestNet.NextAddress();
        var clientB = TestNet.NextAddress();

        using (await OpenAsync(listen, bouncer, 1, clientA))
        {
        }

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(clientA, 0), TimeSpan.FromSeconds(10)));
        var refused = await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached);
        Assert.Equal("session.state.throttle", refused.ErrorDetail);
        using var fromB = await OpenAsync(listen, bouncer, 2, clientB);
    }

    [Fact(Timeout = 30_000)]
    public async Task Bandwidth_is_shared_fairly_and_held_to_the_rate()
    {
        const long rate = 1_000_000;
        const long perSession = 1_500_000;
        var finished = new List<(long Bytes, TimeSpan At)>();
        var clock = new FakeClock();
        var start = clock.GetTimestamp();
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            var bytes = await TestNet.ReceivePatternAsync(socket, ct);
            lock (finished)
            {
                finished.Add((bytes, clock.GetElapsedTime(start)));
            }
        });
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { BandwidthBytesPerSecond = rate };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), options: new EngineOptions { Time = clock });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));

        using var a = await TestNet.ConnectAsync(listen);
        using var b = await TestNet.ConnectAsync(listen);
        start = clock.GetTimestamp();
        var sending = Task.WhenAll(SendAndCloseAsync(a), SendAndCloseAsync(b));

        // Time moves only while every session still sending waits for its share of the rate.
        while (Finished() < 2)
        {
            cts.Token.ThrowIfCancellationRequested();
            if (clock.ArmedWaits + Finished() < 2 || !clock.AdvanceToNextWait())
            {
                await clock.WaitForChangeAsync(TimeSpan.FromMilliseconds(50));
            }
        }

        await sending;
        await bouncer.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Closed, 2, TimeSpan.FromSeconds(20));

        Assert.Equal(2, finished.Count);
        Assert.All(finished, f => Assert.Equal(perSession, f.Bytes));
        var total = TimeSpan.FromTicks(finished.Max(f => f.At.Ticks));
        var achieved = 2 * perSession / total.TotalSeconds;
        Assert.InRange(achieved, rate * 0.9, rate * 1.1);

        // Fair: neither session finished long before the other.
        var first = TimeSpan.FromTicks(finished.Min(f => f.At.Ticks));
        Assert.True(first.TotalSeconds > total.TotalSeconds * 0.8, $"first finished at {first}, last at {total}");

        int Finished()
        {
            lock (finished)
            {
                return finished.Count;
            }
        }

        async Task SendAndCloseAsync(Socket socket)
        {
            await TestNet.SendPatternAsync(socket, perSession, cts.Token);
            socket.Shutdown(SocketShutdown.Send);
        }
    }

    private static async Task<Socket> OpenAsync(IPEndPoint listen, EngineHarness bouncer, int expectedOpened, IPAddress? source = null)
    {
        var socket = await TestNet.ConnectAsync(listen, source is null ? null : new IPEndPoint(source, 0));
        await bouncer.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Opened, expectedOpened, TimeSpan.FromSeconds(10));
        return socket;
    }
}
