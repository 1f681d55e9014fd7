namespace Bouncer.Engine.Udp;

/// <summary>
/// Lets at most <c>perWindow</c> notices through per window and counts the rest, so a flood of
/// blocked or refused datagrams reports a sample and a count instead of one line per datagram.
/// </summary>
internal sealed class NoticeThrottle
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _perWindow;
    private readonly long _windowMilliseconds;
    private long _windowStart = long.MinValue;
    private int _passedInWindow;
    private long _suppressed;

    public NoticeThrottle(int perWindow, TimeSpan window, TimeProvider time)
    {
        _time = time;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perWindow);
        _perWindow = perWindow;
        _windowMilliseconds = (long)window.TotalMilliseconds;
    }

    /// <summary>True when this notice may be reported; otherwise it is counted as suppressed.</summary>
    public bool TryPass()
    {
        var now = _time.GetMilliseconds();
        lock (_lock)
        {
            // The first notice opens the first window (now - long.MinValue would overflow).
            if (_windowStart == long.MinValue || now - _windowStart >= _windowMilliseconds)
            {
                _windowStart = now;
                _passedInWindow = 0;
            }

            if (_passedInWindow < _perWindow)
            {
                _passedInWindow++;
                return true;
            }

            _suppressed++;
            return false;
        }
    }

    /// <summary>The number of notices suppressed since the last call.</summary>
    public long TakeSuppressed()
    {
        lock (_lock)
        {
            var suppressed = _suppressed;
            _suppressed = 0;
            return suppressed;
        }
    }
}
