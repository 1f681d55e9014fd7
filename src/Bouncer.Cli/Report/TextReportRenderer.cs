using System.Globalization;
using System.Text;

namespace Bouncer.Cli.Report;

/// <summary>
/// The report for people: one table row per rule, then per rule its end reasons, its busiest
/// clients and, with <c>--interval</c>, a bar chart of the sessions started per interval (one
/// column per interval, the latest <see cref="ChartWidth"/>), so a rise or fall shows at a glance.
/// </summary>
public sealed class TextReportRenderer
{
    public const int ChartWidth = 60;

    private static readonly string[] Headings =
        ["RULE", "PROTO", "LISTEN", "TARGET", "SESSIONS", "OPEN", "REFUSED", "CLIENTS", "FROM CLIENTS", "TO CLIENTS", "FIRST SEEN", "LAST SEEN"];

    // Columns from SESSIONS to TO CLIENTS are numbers, right-aligned.
    private static readonly bool[] RightAligned = [false, false, false, false, true, true, true, true, true, true, false, false];

    private const string Bars = "▁▂▃▄▅▆▇█";

    private readonly int _topClients;

    public TextReportRenderer(int topClients = 5)
    {
        _topClients = topClients;
    }

    public string Render(ReportAggregator report)
    {
        var text = new StringBuilder();
        var rules = report.OrderedRules();
        text.Append(CultureInfo.InvariantCulture, $"bouncer report: {Plural(rules.Count, "rule")}, {Plural(report.Lines, "line")} read, {report.SkippedLines} skipped");
        if (rules.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"; {ReportTime.Short(rules.Min(r => r.FirstSeenTicks))} to {ReportTime.Short(rules.Max(r => r.LastSeenTicks))} UTC");
        }

        text.Append('\n');
        if (rules.Count == 0)
        {
            return text.ToString();
        }

        text.Append('\n');
        AppendTable(text, rules);
        var series = ReportSeries.Of(rules, report.IntervalTicks, ChartWidth);
        foreach (var rule in rules)
        {
            text.Append('\n');
            text.Append(CultureInfo.InvariantCulture, $"{rule.Label} {rule.Protocol} {rule.Listen} -> {rule.Target ?? "(refused)"}\n");
            text.Append("  end reasons: ");
            text.AppendJoin(", ", rule.EndReasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value}")));
            text.Append('\n');
            text.Append("  top clients: ");
            text.AppendJoin(", ", rule.TopClients(_topClients).Select(DescribeClient));
            text.Append('\n');
            if (series is { } range)
            {
                if (rule.Passes)
                {
                    AppendChart(text, rule, range, "sessions", b => b.Sessions);
                }

                if (rule.Refused > 0)
                {
                    AppendChart(text, rule, range, "refused", b => b.Refused);
                }
            }
        }

        return text.ToString();
    }

    /// <summary><c>1.5 MiB</c>: byte counts in tables are for reading; the JSON report has them exact.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>One character per interval, its height scaled to the busiest interval of the rule; a blank is none.</summary>
    public static string Bar(IReadOnlyList<long> values)
    {
        var max = values.Count == 0 ? 0 : values.Max();
        var bar = new StringBuilder(values.Count);
        foreach (var value in values)
        {
            bar.Append(value <= 0 || max == 0 ? ' ' : Bars[(int)Math.Min(Bars.Length - 1, Math.Ceiling(value * (double)Bars.Length / max) - 1)]);
        }

        return bar.ToString();
    }

    private static void AppendChart(StringBuilder text, RuleTally rule, ReportSeries range, string what, Func<SeriesBucket, long> value)
    {
        var values = new long[range.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = value(range.For(rule, i));
        }

        var span = Span(range.IntervalTicks);
        text.Append(CultureInfo.InvariantCulture,
            $"  {what} per {span} |{Bar(values)}| max {values.Max()}, {ReportTime.Short(range.StartTicks(0))} to {ReportTime.Short(range.StartTicks(range.Count))} UTC\n");
    }

    private static string Span(long ticks)
    {
        var span = TimeSpan.FromTicks(ticks);
        return span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays}d"
            : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours}h"
            : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes}m"
            : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds}s");
    }

    private static string DescribeClient(ClientTally client)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{client.Address} ({Plural(client.Sessions, "session")}");
        if (client.Refused > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {client.Refused} refused");
        }

        return text + ")";
    }

    private static void AppendTable(StringBuilder text, IReadOnlyList<RuleTally> rules)
    {
        var rows = new List<string[]> { Headings };
        foreach (var rule in rules)
        {
            rows.Add(
            [
                rule.Label, rule.Protocol, rule.Listen, rule.Target ?? "-",
                Number(rule.Sessions), Number(rule.Open), Number(rule.Refused), Number(rule.Clients),
                Bytes(rule.BytesFromClients), Bytes(rule.BytesToClients),
                ReportTime.Short(rule.FirstSeenTicks), ReportTime.Short(rule.LastSeenTicks),
            ]);
        }

        var widths = new int[Headings.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(RightAligned[i] ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]));
                line.Append("  ");
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Plural(long count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");
}
