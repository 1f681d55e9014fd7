using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Bouncer.Cli.Report;

/// <summary>
/// The report as one JSON document, written with <see cref="Utf8JsonWriter"/> (no reflection, so the
/// native build stays trim-safe). Its field names are a contract, documented in docs/operations.md:
/// <c>{"rules": [...], "series": [...], "skipped_lines": N}</c>.
/// </summary>
public sealed class JsonReportWriter
{
    /// <summary>The most intervals a series lists (the latest ones).</summary>
    public const int MaxIntervals = 10_000;

    private readonly int _topClients;
    private readonly bool _indented;

    public JsonReportWriter(int topClients = 5, bool indented = true)
    {
        _topClients = topClients;
        _indented = indented;
    }

    public string Render(ReportAggregator report)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = _indented }))
        {
            var rules = report.OrderedRules();
            json.WriteStartObject();
            json.WriteStartArray("rules");
            foreach (var rule in rules)
            {
                WriteRule(json, rule);
            }

            json.WriteEndArray();
            json.WriteStartArray("series");
            if (ReportSeries.Of(rules, report.IntervalTicks, MaxIntervals) is { } range)
            {
                foreach (var rule in rules)
                {
                    WriteSeries(json, rule, range);
                }
            }

            json.WriteEndArray();
            json.WriteNumber("skipped_lines", report.SkippedLines);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private void WriteRule(Utf8JsonWriter json, RuleTally rule)
    {
        json.WriteStartObject();
        json.WriteString("rule", rule.Label);
        json.WriteString("protocol", rule.Protocol);
        json.WriteString("listen", rule.Listen);
        if (rule.Target is { } target)
        {
            json.WriteString("target", target);
        }
        else
        {
            json.WriteNull("target");
        }

        json.WriteNumber("sessions", rule.Sessions);
        json.WriteNumber("open", rule.Open);
        json.WriteNumber("refused", rule.Refused);
        json.WriteNumber("clients", rule.Clients);
        json.WriteNumber("bytes_from_clients", rule.BytesFromClients);
        json.WriteNumber("bytes_to_clients", rule.BytesToClients);
        json.WriteString("first_seen", ReportTime.Iso(rule.FirstSeenTicks));
        json.WriteString("last_seen", ReportTime.Iso(rule.LastSeenTicks));
        json.WriteStartObject("end_reasons");
        foreach (var (reason, count) in rule.EndReasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(reason, count);
        }

        json.WriteEndObject();
        json.WriteStartArray("top_clients");
        foreach (var client in rule.TopClients(_topClients))
        {
            json.WriteStartObject();
            json.WriteString("address", client.Address);
            json.WriteNumber("sessions", client.Sessions);
            json.WriteNumber("refused", client.Refused);
            json.WriteNumber("bytes_from_client", client.BytesFromClient);
            json.WriteNumber("bytes_to_client", client.BytesToClient);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteSeries(Utf8JsonWriter json, RuleTally rule, ReportSeries range)
    {
        json.WriteStartObject();
        json.WriteString("rule", rule.Label);
        json.WriteString("protocol", rule.Protocol);
        json.WriteString("listen", rule.Listen);
        json.WriteNumber("interval_seconds", range.IntervalTicks / (double)TimeSpan.TicksPerSecond);
        json.WriteStartArray("intervals");
        for (var i = 0; i < range.Count; i++)
        {
            var bucket = range.For(rule, i);
            json.WriteStartObject();
            json.WriteString("start", ReportTime.Iso(range.StartTicks(i)));
            json.WriteNumber("sessions", bucket.Sessions);
            json.WriteNumber("refused", bucket.Refused);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
