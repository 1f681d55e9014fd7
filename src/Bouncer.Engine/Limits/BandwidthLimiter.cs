namespace Bouncer.Engine.Limits;

/// <summary>
/// <c>bandwidth:</c> of one rule, shared by all its sessions and both directions. Written by hand
/// because it is a dozen lines: a virtual clock (<c>_nextFree</c>) that each send advances by its
/// byte cost; a sender waits until its slot starts. Senders reserve small slices
/// (<see cref="SliceBytes"/>) and reserve the next one only after sending, so concurrent sessions
/// get interleaved slots and share the rate fairly. System.Threading.RateLimiting would allocate a
/// lease per acquire and is not among the project's pinned packages.
/// </summary>
internal sealed class BandwidthLimiter
{
    private readonly object _gate = new();
    private readonly long _bytesPerSecond;
    private readonly long _frequency;

    // A sender may start this far "in the past": it absorbs timer overshoot (a late wake-up is made
    // up by the next slices instead of lost) and allows a small burst after idling, not a saved-up flood.
    private readonly long _burstTicks;

    // Waits shorter than this are not slept; the virtual clock still charges them, so the next wait is longer.
    private readonly long _minimumWaitTicks;

    // A timer takes at most uint.MaxValue - 1 ms. A wait that long needs a queue of thousands of
    // slices at a rate of a few bytes per second; such a sender is woken at this cap (and sends
    // early) instead of failing its session with ArgumentOutOfRangeException.
    private readonly long _longestWaitTicks;
    private long _nextFree;

    public BandwidthLimiter(long bytesPerSecond, TimeProvider time)
    {
        Time = time;
        _bytesPerSecond = Math.Max(1, bytesPerSecond);
        SliceBytes = (int)Math.Clamp(_bytesPerSecond / 50, 512, 16 * 1024);
        _frequency = time.TimestampFrequency;
        _burstTicks = _frequency / 10;
        _minimumWaitTicks = _frequency / 1000;
        _longestWaitTicks = (long)((uint.MaxValue - 1) / 1000.0 * _frequency);
        _nextFree = time.GetTimestamp();
    }

    /// <summary>The clock the reservations are measured on; senders wait on it too.</summary>
    public TimeProvider Time { get; }

    /// <summary>The most a sender sends per reservation.</summary>
    public int SliceBytes { get; }

    public long BytesPerSecond => _bytesPerSecond;

    /// <summary>Reserves <paramref name="bytes"/> of the rate; returns how long to wait before sending them (zero: send now).</summary>
    public TimeSpan Reserve(int bytes)
    {
        var now = Time.GetTimestamp();
        var cost = (long)((double)bytes * _frequency / _bytesPerSecond);
        long start;
        lock (_gate)
        {
            start = Math.Max(_nextFree, now - _burstTicks);
            _nextFree = start + cost;
        }

        var wait = start - now;
        return wait < _minimumWaitTicks ? TimeSpan.Zero : Time.GetElapsedTime(0, Math.Min(wait, _longestWaitTicks));
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> only if they may be sent now; otherwise charges nothing and
    /// returns false. For a sender that cannot wait (the UDP listener loop, shared by all clients)
    /// and drops instead: charging dropped datagrams would push the clock ever further ahead.
    /// </summary>
    public bool TryReserve(int bytes)
    {
        var now = Time.GetTimestamp();
        var cost = (long)((double)bytes * _frequency / _bytesPerSecond);
        lock (_gate)
        {
            var start = Math.Max(_nextFree, now - _burstTicks);
            if (start - now >= _minimumWaitTicks)
            {
                return false;
            }

            _nextFree = start + cost;
            return true;
        }
    }
}
