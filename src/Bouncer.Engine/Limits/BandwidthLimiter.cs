using System.Diagnostics;

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
    // A sender may start this far "in the past": it absorbs timer overshoot (a late wake-up is made
    // up by the next slices instead of lost) and allows a small burst after idling, not a saved-up flood.
    private static readonly long BurstTicks = Stopwatch.Frequency / 10;

    // Waits shorter than this are not slept; the virtual clock still charges them, so the next wait is longer.
    private static readonly long MinimumWaitTicks = Stopwatch.Frequency / 1000;

    // Task.Delay takes at most uint.MaxValue - 1 ms (about 49.7 days). A wait that long needs a
    // queue of thousands of slices at a rate of a few bytes per second; such a sender is woken at
    // this cap (and sends early) instead of failing its session with ArgumentOutOfRangeException.
    private static readonly long LongestWaitTicks = (long)((uint.MaxValue - 1) / 1000.0 * Stopwatch.Frequency);

    private readonly object _gate = new();
    private readonly long _bytesPerSecond;
    private long _nextFree;

    public BandwidthLimiter(long bytesPerSecond)
    {
        _bytesPerSecond = Math.Max(1, bytesPerSecond);
        SliceBytes = (int)Math.Clamp(_bytesPerSecond / 50, 512, 16 * 1024);
        _nextFree = Stopwatch.GetTimestamp();
    }

    /// <summary>The most a sender sends per reservation.</summary>
    public int SliceBytes { get; }

    public long BytesPerSecond => _bytesPerSecond;

    /// <summary>Reserves <paramref name="bytes"/> of the rate; returns how long to wait before sending them (zero: send now).</summary>
    public TimeSpan Reserve(int bytes)
    {
        var now = Stopwatch.GetTimestamp();
        var cost = (long)((double)bytes * Stopwatch.Frequency / _bytesPerSecond);
        long start;
        lock (_gate)
        {
            start = Math.Max(_nextFree, now - BurstTicks);
            _nextFree = start + cost;
        }

        var wait = start - now;
        return wait < MinimumWaitTicks ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Math.Min(wait, LongestWaitTicks));
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> only if they may be sent now; otherwise charges nothing and
    /// returns false. For a sender that cannot wait (the UDP listener loop, shared by all clients)
    /// and drops instead: charging dropped datagrams would push the clock ever further ahead.
    /// </summary>
    public bool TryReserve(int bytes)
    {
        var now = Stopwatch.GetTimestamp();
        var cost = (long)((double)bytes * Stopwatch.Frequency / _bytesPerSecond);
        lock (_gate)
        {
            var start = Math.Max(_nextFree, now - BurstTicks);
            if (start - now >= MinimumWaitTicks)
            {
                return false;
            }

            _nextFree = start + cost;
            return true;
        }
    }
}
