using Bouncer.Engine.Limits;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// One periodic loop for every time-based check: idle and fin-wait timeouts of all sessions and
/// the cleanup of per-client limit state. A timer per read would cost an allocation and a timer
/// queue operation per I/O; a sweep costs one pass over the sessions per tick.
/// </summary>
internal sealed class SessionSweeper
{
    private static readonly TimeSpan LimitSweepInterval = TimeSpan.FromSeconds(10);

    private readonly SessionTracker _tracker;
    private readonly LimitRegistry _limits;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;

    public SessionSweeper(SessionTracker tracker, LimitRegistry limits, TimeSpan interval, TimeProvider time)
    {
        _time = time;
        _tracker = tracker;
        _limits = limits;
        _interval = interval;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        var nextLimitSweep = _time.GetMilliseconds() + (long)LimitSweepInterval.TotalMilliseconds;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetMilliseconds();
                _tracker.Sweep(now);
                if (now >= nextLimitSweep)
                {
                    _limits.Sweep(now);
                    nextLimitSweep = now + (long)LimitSweepInterval.TotalMilliseconds;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
