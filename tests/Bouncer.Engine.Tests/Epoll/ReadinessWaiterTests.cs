using System.Net.Sockets;
using Bouncer.Engine.Epoll;

namespace Bouncer.Engine.Tests.Epoll;

public sealed class ReadinessWaiterTests
{
    [Fact]
    public async Task An_edge_before_the_wait_is_remembered_once()
    {
        var waiter = new ReadinessWaiter(ready: false);
        waiter.Signal();

        var first = waiter.WaitAsync();
        Assert.True(first.IsCompletedSuccessfully);
        await first;
        Assert.False(waiter.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task An_edge_wakes_the_waiter()
    {
        var waiter = new ReadinessWaiter(ready: false);
        var wait = waiter.WaitAsync();
        Assert.False(wait.IsCompleted);

        waiter.Signal();

        Assert.Equal(0, await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_lasting_end_makes_every_later_wait_return_at_once()
    {
        var waiter = new ReadinessWaiter(ready: false);
        var wait = waiter.WaitAsync();

        waiter.Finish();

        await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(waiter.WaitAsync().IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task Abort_fails_the_waiter_and_every_later_wait()
    {
        var waiter = new ReadinessWaiter(ready: false);
        var wait = waiter.WaitAsync().AsTask();

        waiter.Abort();
        waiter.Signal();

        var failure = await Assert.ThrowsAsync<SocketException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.OperationAborted, failure.SocketErrorCode);
        await Assert.ThrowsAsync<SocketException>(() => waiter.WaitAsync().AsTask());
    }

    [Fact]
    public void Two_waits_at_once_are_a_bug_said_so()
    {
        var waiter = new ReadinessWaiter(ready: false);
        _ = waiter.WaitAsync();

        Assert.Throws<InvalidOperationException>(() => waiter.WaitAsync());
    }
}
