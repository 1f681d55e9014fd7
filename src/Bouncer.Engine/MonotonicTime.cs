namespace Bouncer.Engine;

/// <summary>
/// The millisecond clock the engine's timeouts, throttles and sweeps count in, read from the
/// engine's <see cref="TimeProvider"/> so tests can step it.
/// </summary>
internal static class MonotonicTime
{
    /// <summary>Milliseconds of <paramref name="time"/>'s monotonic timestamp (its origin is arbitrary).</summary>
    /// <remarks>Integer arithmetic, so that stepping a fake clock by N ms moves this by exactly N.</remarks>
    public static long GetMilliseconds(this TimeProvider time)
    {
        var timestamp = time.GetTimestamp();
        var frequency = time.TimestampFrequency;
        return frequency % 1000 == 0
            ? timestamp / (frequency / 1000)
            : (long)((Int128)timestamp * 1000 / frequency);
    }
}
