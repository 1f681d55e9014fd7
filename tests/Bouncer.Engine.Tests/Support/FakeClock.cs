using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also knows which one-shot waits (delays, deadlines) are
/// armed, so a test steps time once the code under test has started waiting, never before, and
/// never sleeps. Periodic timers (the sweep, the notice flush) fire as time is stepped past them.
/// </summary>
internal sealed class FakeClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ObservedTimer, (DateTimeOffset Due, TimeSpan Delay)> _armed = [];
    private readonly ChangeSignal _changed = new();

    /// <summary>One-shot waits armed now.</summary>
    public int ArmedWaits
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var observed = new ObservedTimer(this);
        observed.Inner = base.CreateTimer(
            s =>
            {
                observed.Disarm();
                callback(s);
            },
            state,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        observed.Change(dueTime, period);
        return observed;
    }

    /// <summary>Waits (at most <paramref name="timeout"/> of real time) until a one-shot wait of <paramref name="delay"/> is armed.</summary>
    public Task WaitForWaitAsync(TimeSpan delay, TimeSpan timeout) =>
        WaitUntilAsync(() => _armed.Values.Any(a => a.Delay == delay), timeout, $"no wait of {delay} was armed");

    /// <summary>Waits (at most <paramref name="timeout"/> of real time) until at least <paramref name="count"/> one-shot waits are armed.</summary>
    public Task WaitForWaitsAsync(int count, TimeSpan timeout) =>
        WaitUntilAsync(() => _armed.Count >= count, timeout, $"fewer than {count} waits were armed");

    /// <summary>Steps time to the earliest armed one-shot wait, firing it; false when none is armed.</summary>
    public bool AdvanceToNextWait()
    {
        DateTimeOffset due;
        lock (_gate)
        {
            if (_armed.Count == 0)
            {
                return false;
            }

            due = _armed.Values.Min(a => a.Due);
        }

        var step = due - GetUtcNow();
        Advance(step > TimeSpan.Zero ? step : TimeSpan.Zero);
        return true;
    }

    /// <summary>
    /// Steps time from one armed wait to the next until <paramref name="done"/> completes; throws
    /// after <paramref name="timeout"/> of real time. For code that waits on the clock in steps.
    /// </summary>
    public async Task AdvanceUntilAsync(Task done, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!done.IsCompleted)
        {
            deadline.Token.ThrowIfCancellationRequested();
            if (!AdvanceToNextWait())
            {
                await Task.WhenAny(done, WaitForChangeAsync(TimeSpan.FromMilliseconds(50)));
            }
        }

        await done;
    }

    /// <summary>Completes when the armed waits change, or after <paramref name="timeout"/> of real time.</summary>
    public Task WaitForChangeAsync(TimeSpan timeout) => Task.WhenAny(_changed.Next, Task.Delay(timeout));

    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string failure)
    {
        bool Holds()
        {
            lock (_gate)
            {
                return condition();
            }
        }

        if (!await _changed.WaitUntilAsync(Holds, timeout))
        {
            throw new TimeoutException(failure);
        }
    }

    private void Set(ObservedTimer timer, TimeSpan? delay)
    {
        lock (_gate)
        {
            if (delay is { } armed)
            {
                _armed[timer] = (GetUtcNow() + armed, armed);
            }
            else if (!_armed.Remove(timer))
            {
                return;
            }
        }

        _changed.Pulse();
    }

    private sealed class ObservedTimer(FakeClock clock) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            // Recorded first: a due time of zero fires (and disarms) within the change itself.
            clock.Set(this, period == Timeout.InfiniteTimeSpan && dueTime != Timeout.InfiniteTimeSpan ? dueTime : null);
            return Inner.Change(dueTime, period);
        }

        public void Disarm() => clock.Set(this, null);

        public void Dispose()
        {
            Disarm();
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Disarm();
            return Inner.DisposeAsync();
        }
    }
}
