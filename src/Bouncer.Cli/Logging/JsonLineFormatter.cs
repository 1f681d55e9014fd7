using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;

namespace Bouncer.Cli.Logging;

/// <summary>
/// One JSON object per line with the event's properties as top-level fields:
/// <c>{"time":"…","level":"info","pid":4242,"message":"pass(1): tcp/connect [: …","rule":1,"verdict":"pass",…}</c>.
/// Serilog's own <see cref="JsonFormatter"/> nests properties under "Properties" and repeats the
/// message template; a flat object is what <c>jq 'select(.rule == 1)'</c> wants. Values are still
/// written by Serilog's <see cref="JsonValueFormatter"/>, so escaping is Serilog's.
/// </summary>
public sealed class JsonLineFormatter : ITextFormatter
{
    private static readonly JsonValueFormatter Values = new(typeTagName: null);
    private static readonly HashSet<string> Reserved = ["time", "level", "pid", "message", "exception"];
    private readonly int _processId;

    public JsonLineFormatter(int? processId = null)
    {
        _processId = processId ?? Environment.ProcessId;
    }

    public void Format(LogEvent logEvent, TextWriter output)
    {
        output.Write("{\"time\":\"");
        output.Write(logEvent.Timestamp.ToString("o", CultureInfo.InvariantCulture));
        output.Write("\",\"level\":\"");
        output.Write(LevelNames.For(logEvent.Level));
        output.Write("\",\"pid\":");
        output.Write(_processId.ToString(CultureInfo.InvariantCulture));
        output.Write(",\"message\":");
        var message = new StringWriter(CultureInfo.InvariantCulture);
        BarefootTextFormatter.WriteMessage(logEvent, message);
        JsonValueFormatter.WriteQuotedJsonString(message.ToString(), output);
        if (logEvent.Exception is { } exception)
        {
            output.Write(",\"exception\":");
            JsonValueFormatter.WriteQuotedJsonString(exception.ToString(), output);
        }

        foreach (var (name, value) in logEvent.Properties)
        {
            var key = Reserved.Contains(name) ? "_" + name : name;
            output.Write(',');
            JsonValueFormatter.WriteQuotedJsonString(key, output);
            output.Write(':');
            Values.Format(value, output);
        }

        output.Write("}\n");
    }
}
