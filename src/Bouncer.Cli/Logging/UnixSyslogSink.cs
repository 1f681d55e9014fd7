using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;
using Serilog.Formatting;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Sends each event as one datagram to the local syslog socket (<c>/dev/log</c>), in the form
/// glibc's syslog(3) uses: <c>&lt;PRI&gt;Nov 22 14:03:07 bouncer[4242]: info: BODY</c>. journald and
/// rsyslog both read it. Written by hand because no syslog sink is among the pinned packages
/// (Serilog and Serilog.Sinks.File only) and the protocol is a single sendto per message.
/// A syslog daemon that restarts gets a reconnect; a message that still cannot be sent is
/// reported through Serilog's SelfLog and dropped, never blocking a session.
/// </summary>
public sealed class UnixSyslogSink : ILogEventSink, IDisposable
{
    /// <summary>Where the local syslog daemon listens, in order of preference.</summary>
    public static IReadOnlyList<string> WellKnownPaths { get; } = ["/dev/log", "/var/run/syslog", "/var/run/log"];

    private readonly string _socketPath;
    private readonly int _facility;
    private readonly ITextFormatter _formatter;
    private readonly TimeZoneInfo _timeZone;
    private readonly int _processId;
    private readonly Lock _gate = new();
    private Socket? _socket;

    public UnixSyslogSink(string socketPath, int facility, ITextFormatter formatter, TimeZoneInfo? timeZone = null, int? processId = null)
    {
        _socketPath = socketPath;
        _facility = facility;
        _formatter = formatter;
        _timeZone = timeZone ?? TimeZoneInfo.Local;
        _processId = processId ?? Environment.ProcessId;
    }

    /// <summary>The first well-known syslog socket present on this host, or null.</summary>
    public static string? FindLocalSocket() => WellKnownPaths.FirstOrDefault(File.Exists);

    public void Emit(LogEvent logEvent)
    {
        var datagram = Encoding.UTF8.GetBytes(Render(logEvent));
        lock (_gate)
        {
            // One retry with a fresh socket: the daemon may have restarted and recreated its socket.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                try
                {
                    _socket ??= Connect();
                    _socket.Send(datagram);
                    return;
                }
                catch (SocketException ex)
                {
                    _socket?.Dispose();
                    _socket = null;
                    if (attempt == 1)
                    {
                        SelfLog.WriteLine("syslog socket {0}: {1}", _socketPath, ex.Message);
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    /// <summary>The datagram text: priority, local time, tag, and the formatter's line without its newline.</summary>
    public string Render(LogEvent logEvent)
    {
        var body = new StringWriter(CultureInfo.InvariantCulture);
        _formatter.Format(logEvent, body);
        var text = body.ToString().TrimEnd('\n');
        var priority = (_facility * 8) + LevelNames.SyslogSeverity(logEvent.Level);
        var local = TimeZoneInfo.ConvertTime(logEvent.Timestamp, _timeZone);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"<{priority}>{local:MMM} {local.Day,2} {local:HH:mm:ss} bouncer[{_processId}]: {text}");
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(_socketPath));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
