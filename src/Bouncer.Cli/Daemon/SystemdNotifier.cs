using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// sd_notify(3) for <c>Type=notify</c> units: one datagram per state change to the Unix socket named
/// by <c>$NOTIFY_SOCKET</c> ('@' at the start means the abstract namespace). Written by hand because
/// no sd_notify library is among the available packages and the protocol is a single sendto.
/// Silent when the variable is unset (not under systemd) and when sending fails: notification must
/// never stop the daemon.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    public const string SocketVariable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private Socket? _socket;

    public SystemdNotifier(string? socketPath, TimeProvider time)
    {
        _time = time;
        if (!string.IsNullOrEmpty(socketPath) && Socket.OSSupportsUnixDomainSockets)
        {
            _endpoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        }
    }

    public bool IsEnabled => _endpoint is not null;

    public static SystemdNotifier FromEnvironment(TimeProvider time) => new(Environment.GetEnvironmentVariable(SocketVariable), time);

    /// <summary>
    /// The monotonic clock in microseconds. With <see cref="TimeProvider.System"/> on Linux that is
    /// CLOCK_MONOTONIC, the clock systemd matches a reload request against.
    /// </summary>
    public long MonotonicMicroseconds() =>
        (long)(_time.GetTimestamp() * (1_000_000.0 / _time.TimestampFrequency));

    public bool Ready(string status) => Send($"READY=1\nSTATUS={status}");

    /// <summary>systemd (253+) wants the monotonic time with RELOADING=1 to match it to the reload request.</summary>
    public bool Reloading(string status) => Send(string.Create(
        CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS={status}"));

    public bool Stopping(string status) => Send($"STOPPING=1\nSTATUS={status}");

    public bool Status(string status) => Send($"STATUS={status}");

    /// <summary>Sends raw <c>KEY=VALUE</c> lines; false when disabled or the send failed.</summary>
    public bool Send(string state)
    {
        if (_endpoint is null)
        {
            return false;
        }

        var datagram = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            try
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(datagram, _endpoint);
                return true;
            }
            catch (SocketException)
            {
                _socket?.Dispose();
                _socket = null;
                return false;
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
}
