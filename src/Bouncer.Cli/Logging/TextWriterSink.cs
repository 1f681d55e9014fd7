using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Writes each event to a <see cref="TextWriter"/> (stdout or stderr) and flushes it. Serilog core
/// has no console sink and the console sink package is not among the pinned dependencies; this is
/// the few lines it would take.
/// </summary>
public sealed class TextWriterSink : ILogEventSink
{
    private readonly TextWriter _writer;
    private readonly ITextFormatter _formatter;
    private readonly Lock _gate = new();

    public TextWriterSink(TextWriter writer, ITextFormatter formatter)
    {
        _writer = writer;
        _formatter = formatter;
    }

    public void Emit(LogEvent logEvent)
    {
        // Format first so a line is written whole, never interleaved with another thread's.
        var line = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        _formatter.Format(logEvent, line);
        lock (_gate)
        {
            _writer.Write(line.ToString());
            _writer.Flush();
        }
    }
}
