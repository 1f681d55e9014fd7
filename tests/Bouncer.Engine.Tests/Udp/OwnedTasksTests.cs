using Bouncer.Engine.Udp;

namespace Bouncer.Engine.Tests.Udp;

public sealed class OwnedTasksTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_loop_that_ends_on_an_exception_is_told_and_one_that_ends_otherwise_is_not()
    {
        var told = new List<Exception>();
        var owned = new OwnedTasks(failure =>
        {
            lock (told)
            {
                told.Add(failure);
            }
        });
        var bug = new InvalidOperationException("a bug");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        owned.Add(Task.FromException(bug));
        owned.Add(Task.CompletedTask);
        owned.Add(Task.FromCanceled(cancelled.Token));
        owned.Add(Task.Run(() => throw new TimeoutException("later")));
        await owned.WhenAllAsync();

        Assert.Equal(0, owned.Count);
        lock (told)
        {
            Assert.Equal(2, told.Count);
            Assert.Contains(bug, told);
            Assert.Contains(told, failure => failure is TimeoutException);
        }
    }
}
