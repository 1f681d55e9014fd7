using Bouncer.Engine.Udp;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>The sample-and-count throttle of rejected-datagram notices, on a clock the test steps.</summary>
public sealed class NoticeThrottleTests
{
    [Fact]
    public void Each_window_lets_its_share_through_and_counts_the_rest()
    {
        var time = new FakeTimeProvider();
        var throttle = new NoticeThrottle(2, TimeSpan.FromSeconds(1), time);

        Assert.True(throttle.TryPass());
        Assert.True(throttle.TryPass());
        Assert.False(throttle.TryPass());
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(throttle.TryPass());
        Assert.Equal(2, throttle.TakeSuppressed());
        Assert.Equal(0, throttle.TakeSuppressed());

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(throttle.TryPass());
        Assert.True(throttle.TryPass());
        Assert.False(throttle.TryPass());
        Assert.Equal(1, throttle.TakeSuppressed());
    }
}
