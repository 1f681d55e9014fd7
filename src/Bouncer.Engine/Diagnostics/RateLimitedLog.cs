using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Diagnostics;

/// <summary>
/// Writes a warning at most once per <see cref="Interval"/> for each key, so a client hammering a
/// limit produces one line per interval, not one per connection. The next line written for a key
/// says how many were left out since the last one.
/// </summary>
internal sealed class RateLimitedLog
{
    private readonly IEngineLog _log;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public RateLimitedLog(IEngineLog log, TimeSpan interval)
    {
        _log = log;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    /// <summary>Writes <paramref name="message"/> unless a line for <paramref name="key"/> was written within the interval.</summary>
    public void Warning(string key, string message)
    {
        var now = Environment.TickCount64;
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        long suppressed;
        lock (entry)
        {
            if (entry.LastWritten != long.MinValue && now - entry.LastWritten < (long)Interval.TotalMilliseconds)
            {
                entry.Suppressed++;
                return;
            }

            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LastWritten = now;
        }

        _log.Warning(suppressed == 0 ? message : $"{message} ({suppressed} more since the last notice)");
    }

    private sealed class Entry
    {
        public long LastWritten { get; set; } = long.MinValue;

        public long Suppressed { get; set; }
    }
}
