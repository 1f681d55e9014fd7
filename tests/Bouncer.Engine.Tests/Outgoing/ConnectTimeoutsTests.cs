using Bouncer.Engine.Outgoing;

namespace Bouncer.Engine.Tests.Outgoing;

public sealed class ConnectTimeoutsTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_timeout_cancels_the_connect()
    {
        var timeouts = new ConnectTimeouts(TimeProvider.System);
        using var lease = timeouts.Start(TimeSpan.FromMilliseconds(50), CancellationToken.None);

        Assert.True(lease.Token.WaitHandle.WaitOne(Generous));
    }

    [Fact]
    public void A_stop_cancels_every_pending_connect()
    {
        var timeouts = new ConnectTimeouts(TimeProvider.System);
        using var stop = new CancellationTokenSource();
        using var timed = timeouts.Start(TimeSpan.FromMinutes(5), stop.Token);
        using var untimed = timeouts.Start(TimeSpan.Zero, stop.Token);

        stop.Cancel();

        Assert.True(timed.Token.IsCancellationRequested);
        Assert.True(untimed.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_stop_before_the_connect_cancels_it_at_once()
    {
        var timeouts = new ConnectTimeouts(TimeProvider.System);
        using var stop = new CancellationTokenSource();
        stop.Cancel();

        using var lease = timeouts.Start(TimeSpan.FromMinutes(5), stop.Token);

        Assert.True(lease.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_reused_source_starts_uncancelled_and_unlinked_from_the_previous_stop()
    {
        var timeouts = new ConnectTimeouts(TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var first = timeouts.Start(TimeSpan.FromMinutes(5), stop.Token);
        var firstToken = first.Token;
        first.Dispose();

        // The next connect reuses the first one's source: it starts uncancelled, and the first
        // one's stop no longer reaches it.
        using var second = timeouts.Start(TimeSpan.FromMinutes(5), CancellationToken.None);
        stop.Cancel();

        Assert.Equal(firstToken, second.Token);
        Assert.False(second.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_cancelled_source_is_not_reused()
    {
        var timeouts = new ConnectTimeouts(TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var first = timeouts.Start(TimeSpan.FromMinutes(5), stop.Token);
        stop.Cancel();
        first.Dispose();

        using var second = timeouts.Start(TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.NotEqual(first.Token, second.Token);
        Assert.False(second.Token.IsCancellationRequested);
    }
}
