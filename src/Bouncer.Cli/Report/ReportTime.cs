using System.Globalization;

namespace Bouncer.Cli.Report;

/// <summary>How times and spans are written in reports and read from the command line.</summary>
public static class ReportTime
{
    /// <summary>ISO 8601 in UTC with the microseconds the log has: <c>2025-11-22T14:03:07.123456Z</c>.</summary>
    public static string Iso(long ticks) =>
        new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>To the second, for tables: <c>2025-11-22 14:03:07</c>.</summary>
    public static string Short(long ticks) =>
        new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A span such as <c>10m</c>, <c>1h30m</c>, <c>90s</c>, <c>1d</c> or a bare number of seconds;
    /// units are ms, s, m, h, d and w. Null when the text is not one or the span is not positive.
    /// </summary>
    public static TimeSpan? ParseSpan(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var total = TimeSpan.Zero;
        var rest = text.AsSpan().Trim();
        while (!rest.IsEmpty)
        {
            var digits = rest.IndexOfAnyExcept("0123456789.");
            var number = digits < 0 ? rest : rest[..digits];
            if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            var unitEnd = digits < 0 ? -1 : rest[digits..].IndexOfAnyInRange('0', '9');
            var unit = digits < 0 ? "s" : unitEnd < 0 ? rest[digits..] : rest[digits..(digits + unitEnd)];
            var seconds = unit switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                "w" => 7 * 86400,
                _ => -1,
            };
            if (seconds < 0 || (digits < 0 && total != TimeSpan.Zero))
            {
                return null;
            }

            var part = value * seconds;
            if (part > TimeSpan.MaxValue.TotalSeconds / 2 || total.TotalSeconds + part > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return null;
            }

            total += TimeSpan.FromSeconds(part);
            rest = digits < 0 ? default : rest[(digits + unit.Length)..];
        }

        return total > TimeSpan.Zero ? total : null;
    }

    /// <summary>
    /// A moment: ISO 8601 (<c>2025-11-22T14:00</c>, <c>2025-11-22 14:00:00+01:00</c>, <c>2025-11-22</c>;
    /// without an offset it is UTC, as the report writes times), or a span before
    /// <paramref name="now"/> (<c>2h</c> is two hours ago). Null when it is neither.
    /// </summary>
    public static long? ParseMoment(string text, DateTimeOffset now)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var moment))
        {
            return moment.UtcTicks;
        }

        return ParseSpan(text) is { } ago && ago < now - DateTimeOffset.UnixEpoch ? (now - ago).UtcTicks : null;
    }
}
