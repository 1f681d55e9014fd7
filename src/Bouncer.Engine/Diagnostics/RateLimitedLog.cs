using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Diagnostics;

/// <summary>
/// Writes a warning at most once per <see cref="Interval"/> for each key, so a client hammering a
/// limit produces one line per interval, not one per connection. What was left out is reported
/// by <see cref="Flush"/> once the interval has ended (driven by <see cref="RunAsync"/>), so a
/// burst followed by quiet is still counted within an interval rather than only at shutdown.
/// </summary>
internal sealed class RateLimitedLog
{
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;
    private readonly long _intervalMilliseconds;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <param name="time">The clock of the intervals and of <see cref="RunAsync"/>; tests pass a fake one to step time without sleeping.</param>
    public RateLimitedLog(IEngineLog log, TimeSpan interval, TimeProvider time)
    {
        _log = log;
        Interval = interval;
        _intervalMilliseconds = (long)interval.TotalMilliseconds;
        _time = time;
    }

    public TimeSpan Interval { get; }

    /// <summary>Writes <paramref name="message"/> unless a line for <paramref name="key"/> was written within the interval.</summary>
    public void Warning(string key, string message)
    {
        var now = _time.GetMilliseconds();
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        long suppressed;
        lock (entry)
        {
            if (entry.LastWritten != long.MinValue && now - entry.LastWritten < _intervalMilliseconds)
            {
                entry.Suppressed++;
                entry.LastSuppressed = message;
                return;
            }

            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LastSuppressed = null;
            entry.LastWritten = now;
        }

        _log.Warning(WithCount(message, suppressed));
    }

    /// <summary>
    /// Writes, for every key whose interval has ended with notices left out, the latest of them
    /// with their count. That line starts the key's next interval, so a steady flood still gives
    /// one line per interval. <paramref name="final"/>: every key with notices left out, ended
    /// interval or not (the process is stopping, and there will be no later line).
    /// </summary>
    public void Flush(bool final = false)
    {
        var now = _time.GetMilliseconds();
        foreach (var entry in _entries.Values)
        {
            string message;
            long suppressed;
            lock (entry)
            {
                if (entry.Suppressed == 0 || entry.LastSuppressed is null || (!final && now - entry.LastWritten < _intervalMilliseconds))
                {
                    continue;
                }

                // The line reports the left-out notices themselves: the one shown is one of them.
                suppressed = entry.Suppressed - 1;
                message = entry.LastSuppressed;
                entry.Suppressed = 0;
                entry.LastSuppressed = null;
                entry.LastWritten = now;
            }

            _log.Warning(WithCount(message, suppressed));
        }
    }

    /// <summary>Calls <see cref="Flush"/> every <paramref name="period"/> until cancelled; the caller owns and awaits the task.</summary>
    public async Task RunAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Flush();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: what was left out since the last line is written now, or it never would be.
            Flush(final: true);
        }
    }

    private static string WithCount(string message, long suppressed) =>
        suppressed == 0 ? message : $"{message} ({suppressed} more since the last notice)";

    private sealed class Entry
    {
        public long LastWritten { get; set; } = long.MinValue;

        public long Suppressed { get; set; }

        public string? LastSuppressed { get; set; }
    }
}
