using System.Net;
using Bouncer.Engine.Limits;
using Bouncer.Rules.Model;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests;

public sealed class RuleLimiterTests
{
    private static readonly IPAddress ClientA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress ClientB = IPAddress.Parse("127.0.0.3");

    [Fact]
    public void Throttle_refills_over_its_period()
    {
        var limiter = new RuleLimiter(SessionLimits.None with { Throttle = new Throttle(2, TimeSpan.FromSeconds(10)) }, now: 0);

        Assert.Equal(LimitRefusal.None, limiter.TryAcquire(ClientA, 0));
        Assert.Equal(LimitRefusal.None, limiter.TryAcquire(ClientA, 0));
        Assert.Equal(LimitRefusal.SessionThrottle, limiter.TryAcquire(ClientA, 4_000));
        Assert.Equal(LimitRefusal.None, limiter.TryAcquire(ClientA, 5_000));
        Assert.Equal(LimitRefusal.SessionThrottle, limiter.TryAcquire(ClientA, 5_000));
    }

    [Fact]
    public void A_refusal_by_one_limit_costs_no_token_of_another()
    {
        var limits = SessionLimits.None with { Throttle = new Throttle(1, TimeSpan.FromSeconds(60)), StateMax = 1 };
        var limiter = new RuleLimiter(limits, now: 0);
        limiter.TryAcquire(ClientA, 0);
        limiter.Release(ClientA);
        var fresh = new RuleLimiter(limits, now: 0);
        Assert.Equal(LimitRefusal.None, fresh.TryAcquire(ClientA, 0));

        Assert.Equal(LimitRefusal.StateMax, fresh.TryAcquire(ClientA, 0));
        Assert.Equal(LimitRefusal.SessionThrottle, fresh.TryAcquire(ClientB, 0));
    }

    [Fact]
    public void Release_frees_the_place_and_sweep_forgets_idle_clients()
    {
        var limits = SessionLimits.None with { Max = 1, StateThrottle = new Throttle(1, TimeSpan.FromSeconds(1)) };
        var limiter = new RuleLimiter(limits, now: 0);

        Assert.Equal(LimitRefusal.None, limiter.TryAcquire(ClientA, 0));
        Assert.Equal(LimitRefusal.SessionMax, limiter.TryAcquire(ClientB, 0));
        limiter.Release(ClientA);
        Assert.Equal(0, limiter.Active);
        Assert.Equal(LimitRefusal.StateThrottle, limiter.TryAcquire(ClientA, 500));

        limiter.Sweep(500);
        Assert.Equal(1, limiter.TrackedClients); // ClientB was refused by session.max before it was tracked.
        limiter.Sweep(2_000);
        Assert.Equal(0, limiter.TrackedClients);
    }

    [Fact]
    public void Bandwidth_reservations_follow_the_rate()
    {
        var limiter = new BandwidthLimiter(100_000, new FakeTimeProvider());
        var total = TimeSpan.Zero;
        for (var i = 0; i < 10; i++)
        {
            total = limiter.Reserve(10_000);
        }

        // Ten reservations of 0.1 s each on a clock that stands still: the last starts 0.9 s from now.
        Assert.InRange(total.TotalSeconds, 0.75, 0.95);
    }
}
