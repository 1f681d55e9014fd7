using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Barefoot's text layout: <c>Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: BODY</c>.
/// The body of a session event comes from <see cref="BarefootLine"/>; any other event writes its
/// message. Without the header (for syslog, which stamps its own) a line starts at the level.
/// </summary>
public sealed class BarefootTextFormatter : ITextFormatter
{
    private readonly bool _header;
    private readonly TimeZoneInfo _timeZone;
    private readonly int _processId;

    public BarefootTextFormatter(bool header = true, TimeZoneInfo? timeZone = null, int? processId = null)
    {
        _header = header;
        _timeZone = timeZone ?? TimeZoneInfo.Local;
        _processId = processId ?? Environment.ProcessId;
    }

    public void Format(LogEvent logEvent, TextWriter output)
    {
        if (_header)
        {
            WriteHeader(logEvent.Timestamp, output);
        }

        output.Write(LevelNames.For(logEvent.Level));
        output.Write(": ");
        WriteMessage(logEvent, output);
        if (logEvent.Exception is { } exception)
        {
            output.Write($": {exception.GetType().Name}: {exception.Message}");
        }

        output.Write('\n');
    }

    /// <summary>The part after the level: a Barefoot session line, or the rendered message.</summary>
    public static void WriteMessage(LogEvent logEvent, TextWriter output)
    {
        if (!BarefootLine.TryWrite(logEvent, output))
        {
            logEvent.RenderMessage(output, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Local time as syslog writes it (day padded with a space), then Unix time with microseconds.</summary>
    private void WriteHeader(DateTimeOffset timestamp, TextWriter output)
    {
        var local = TimeZoneInfo.ConvertTime(timestamp, _timeZone);
        var ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var micros = ticks % TimeSpan.TicksPerSecond / 10;
        output.Write(string.Create(
            CultureInfo.InvariantCulture,
            $"{local:MMM} {local.Day,2} {local:HH:mm:ss} ({seconds}.{micros:D6}) bouncer[{_processId}]: "));
    }
}
