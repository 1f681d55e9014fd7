namespace Bouncer.Engine;

/// <summary>
/// The millisecond clock the engine's timeouts, throttles and sweeps count in, read from the
/// engine's <see cref="TimeProvider"/> so tests can step it.
/// </summary>
internal static class MonotonicTime
{
    /// <summary>Milliseconds of <paramref name="time"/>'s monotonic clock (its origin is arbitrary).</summary>
    /// <remarks>
    /// Sessions read this per datagram and per read. For <see cref="TimeProvider.System"/> it is the
    /// system's coarse millisecond clock, which costs a fraction of a precise timestamp and no
    /// virtual call (docs/performance.md). Any other provider is read through its timestamp, in
    /// integer arithmetic so that stepping a fake clock by N ms moves this by exactly N.
    /// </remarks>
    public static long GetMilliseconds(this TimeProvider time)
    {
        if (ReferenceEquals(time, TimeProvider.System))
        {
            return Environment.TickCount64;
        }

        var timestamp = time.GetTimestamp();
        var frequency = time.TimestampFrequency;
        return frequency % 1000 == 0
            ? timestamp / (frequency / 1000)
            : (long)((Int128)timestamp * 1000 / frequency);
    }
}
