using Bouncer.Engine.State;

namespace Bouncer.Cli.Status;

/// <summary>
/// Sessions started per minute over the last hour, per rule, for the status page's charts: a ring
/// of <see cref="Minutes"/> buckets per rule, filled once a minute from the rules' session counters
/// by <see cref="StatusService"/>'s timer. Rules are keyed by their log label (<c>pass(1)</c>), so
/// a reload that keeps a rule's number keeps its chart; rules gone from the table are forgotten at
/// the next sample, which bounds the memory by the table (60 longs per rule).
/// </summary>
internal sealed class SessionHistory
{
    public const int Minutes = 60;

    private readonly Lock _lock = new();
    private Dictionary<string, Series> _series = new(StringComparer.Ordinal);

    /// <summary>Closes the current minute: each rule's sessions since the previous sample go in a new bucket.</summary>
    public void Sample(IEnumerable<RuleActivity> rules)
    {
        lock (_lock)
        {
            var next = new Dictionary<string, Series>(StringComparer.Ordinal);
            foreach (var activity in rules)
            {
                var label = activity.Rule.Label;
                if (next.ContainsKey(label))
                {
                    continue;
                }

                if (_series.TryGetValue(label, out var series))
                {
                    series.Close(activity.Sessions);
                }
                else
                {
                    series = new Series(activity.Sessions);
                }

                next[label] = series;
            }

            _series = next;
        }
    }

    /// <summary>
    /// The last hour for <paramref name="activity"/>'s rule, oldest first, ending with the minute in
    /// progress (sessions since the last sample). Minutes before the rule was first sampled are 0.
    /// </summary>
    public long[] PerMinute(RuleActivity activity)
    {
        var points = new long[Minutes];
        lock (_lock)
        {
            if (!_series.TryGetValue(activity.Rule.Label, out var series))
            {
                return points;
            }

            series.CopyTo(points, activity.Sessions);
        }

        return points;
    }

    /// <summary>One rule's ring: the closed minutes and the counter value when the last one closed.</summary>
    private sealed class Series
    {
        private readonly long[] _closed = new long[Minutes - 1];
        private int _next;
        private long _sampledAt;

        public Series(long sessions)
        {
            _sampledAt = sessions;
        }

        public void Close(long sessions)
        {
            // A changed rule's counters start again at 0: its first minute counts from there.
            var started = sessions >= _sampledAt ? sessions - _sampledAt : sessions;
            _closed[_next] = started;
            _next = (_next + 1) % _closed.Length;
            _sampledAt = sessions;
        }

        public void CopyTo(long[] points, long sessionsNow)
        {
            for (var i = 0; i < _closed.Length; i++)
            {
                points[i] = _closed[(_next + i) % _closed.Length];
            }

            points[^1] = sessionsNow >= _sampledAt ? sessionsNow - _sampledAt : sessionsNow;
        }
    }
}
