namespace Bouncer.Cli.Logging;

/// <summary>
/// Log lines dropped by every <see cref="BoundedQueueSink"/> of the process, across the pipelines a
/// reload replaces (each sink counts only its own), for <c>bouncer_log_lines_dropped_total</c>.
/// </summary>
public sealed class LogDropCounter
{
    private long _dropped;

    public long Total => Interlocked.Read(ref _dropped);

    public void Dropped() => Interlocked.Increment(ref _dropped);
}
