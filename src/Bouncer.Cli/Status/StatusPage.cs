using System.Globalization;
using System.Net;
using System.Text;
using Bouncer.Engine.State;

namespace Bouncer.Cli.Status;

/// <summary>
/// The HTML of <c>/</c>: one self-contained page (inline style, charts as inline SVG drawn here, no
/// script, no font or image to fetch) that reloads itself every <see cref="RefreshSeconds"/>
/// seconds and fits a phone's width: the table scrolls sideways rather than shrinking its text.
/// </summary>
internal static class StatusPage
{
    public const int RefreshSeconds = 10;

    /// <summary>A table of thousands of rules is for /metrics; the page shows the first ones and says so.</summary>
    public const int MaxRules = 500;

    private const int ChartWidth = 180;
    private const int ChartHeight = 40;

    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:12px;color:#1b1f24;background:#f6f8fa}
        h1{font-size:1.3em;margin:0 0 4px}
        .meta{color:#57606a;margin:0 0 12px;font-size:.9em}
        .ok{color:#1a7f37;font-weight:600}.failed{color:#cf222e;font-weight:600}
        .scroll{overflow-x:auto;background:#fff;border:1px solid #d0d7de;border-radius:6px}
        table{border-collapse:collapse;width:100%;font-size:.9em}
        th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap;vertical-align:middle}
        th{background:#f6f8fa;font-weight:600;white-space:normal}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        svg{display:block}
        .chart line{stroke:#d0d7de}.chart polyline{fill:none;stroke:#0969da;stroke-width:1.5}
        .chart text{font-size:9px;fill:#57606a}
        @media (max-width:640px){
        thead{display:none}.scroll{border:0;background:none}table,tbody{display:block}
        tr{display:block;background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:0 0 10px;padding:4px 0}
        td{display:flex;justify-content:space-between;align-items:center;gap:12px;border:0;padding:3px 10px}
        td::before{content:attr(data-label);color:#57606a}
        td.rule{font-weight:600}
        }
        """;

    public static string Render(StatusSnapshot snapshot, SessionHistory history, ReloadOutcome? lastReload, string version, TimeSpan uptime, long logLinesDropped)
    {
        var state = snapshot.State;
        var html = new StringBuilder(4096 + (state.Rules.Length * 900));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
            .Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">")
            .Append("<title>bouncer status</title><style>").Append(Style).Append("</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>bouncer {Encode(version)}</h1>\n<p class=\"meta\">up {Duration(uptime)} · ")
            .Append(CultureInfo.InvariantCulture, $"{state.Table?.Rules.Length ?? 0} rules · {state.Listeners} listeners · ")
            .Append(CultureInfo.InvariantCulture, $"{state.Sessions.Length} live sessions · {logLinesDropped} log lines dropped<br>")
            .Append(ReloadText(lastReload)).Append("</p>\n");

        html.Append("<div class=\"scroll\"><table><thead><tr><th>rule</th><th>protocol</th><th>listen</th><th>target</th>")
            .Append("<th>live</th><th>sessions</th><th>refused</th><th>failed</th><th>sessions per minute, last hour</th></tr></thead><tbody>\n");
        foreach (var activity in state.Rules.Take(MaxRules))
        {
            var labels = RuleLabels.Of(activity.Rule);
            var target = activity.Rule.Target is { } bounce ? $"{bounce.Address?.ToString() ?? bounce.Hostname}.{bounce.Port}" : "-";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"rule\" data-label=\"rule\">{Encode(labels.Rule)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"protocol\">{Encode(labels.Protocol)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"listen\">{Encode(labels.Listen)}</td><td data-label=\"target\">{Encode(target)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-label=\"live\">{activity.Live}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-label=\"sessions\">{activity.Sessions}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-label=\"refused\">{activity.Refused}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-label=\"failed\">{activity.Failed}</td><td data-label=\"per minute\">");
            AppendChart(html, history.PerMinute(activity));
            html.Append("</td></tr>\n");
        }

        html.Append("</tbody></table></div>\n");
        if (state.Rules.Length > MaxRules)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">{state.Rules.Length - MaxRules} more rules: see <a href=\"/metrics\">/metrics</a>.</p>\n");
        }

        html.Append("<p class=\"meta\">Counters since each rule came into force; <a href=\"/metrics\">/metrics</a> for Prometheus.</p>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>A line chart of <paramref name="points"/> (oldest first), scaled to its own maximum, with that maximum written.</summary>
    private static void AppendChart(StringBuilder html, long[] points)
    {
        var max = Math.Max(1, points.Max());
        html.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{ChartWidth}\" height=\"{ChartHeight}\" viewBox=\"0 0 {ChartWidth} {ChartHeight}\" role=\"img\">")
            .Append(CultureInfo.InvariantCulture, $"<title>sessions per minute, peak {points.Max()}</title>")
            .Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{ChartHeight - 1}\" x2=\"{ChartWidth}\" y2=\"{ChartHeight - 1}\"/>")
            .Append("<polyline points=\"");
        const int top = 10;
        var step = (double)(ChartWidth - 1) / (points.Length - 1);
        for (var i = 0; i < points.Length; i++)
        {
            var x = i * step;
            var y = ChartHeight - 1 - ((double)points[i] / max * (ChartHeight - 1 - top));
            html.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
        }

        html.Append("\"/>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"8\">peak {points.Max()}/min</text>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth - 2}\" y=\"8\" text-anchor=\"end\">now</text></svg>");
    }

    private static string ReloadText(ReloadOutcome? reload)
    {
        if (reload is null)
        {
            return "last reload: none since start";
        }

        var result = reload.Succeeded ? "<span class=\"ok\">ok</span>" : "<span class=\"failed\">failed</span>";
        var at = reload.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var took = reload.Duration.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        return $"last reload: {at} UTC, {result} in {took} ms: {Encode(reload.Summary)}";
    }

    private static string Duration(TimeSpan span) => span.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m")
        : string.Create(CultureInfo.InvariantCulture, $"{span.Hours}h {span.Minutes}m {span.Seconds}s");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
