namespace Bouncer.Cli.Report;

/// <summary>
/// The common range of intervals that every rule's series is shown over, so the series of
/// different rules line up: from the earliest interval any rule has to the latest, at most
/// <paramref name="maxIntervals"/> of them (the latest).
/// </summary>
public readonly record struct ReportSeries(long FirstBucket, int Count, long IntervalTicks)
{
    /// <summary>The range over <paramref name="rules"/>, or null when there is no series or nothing in it.</summary>
    public static ReportSeries? Of(IEnumerable<RuleTally> rules, long? intervalTicks, int maxIntervals)
    {
        if (intervalTicks is not { } interval)
        {
            return null;
        }

        long first = long.MaxValue, last = long.MinValue;
        foreach (var rule in rules)
        {
            foreach (var bucket in rule.Series.Keys)
            {
                first = Math.Min(first, bucket);
                last = Math.Max(last, bucket);
            }
        }

        if (first > last)
        {
            return null;
        }

        first = Math.Max(first, last - maxIntervals + 1);
        return new ReportSeries(first, (int)(last - first + 1), interval);
    }

    public long StartTicks(int index) => DateTime.UnixEpoch.Ticks + ((FirstBucket + index) * IntervalTicks);

    public SeriesBucket For(RuleTally rule, int index) =>
        rule.Series.TryGetValue(FirstBucket + index, out var bucket) ? bucket : default;
}
