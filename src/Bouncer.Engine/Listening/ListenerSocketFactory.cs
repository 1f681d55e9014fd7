using System.Net.Sockets;
using Bouncer.Engine.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Listening;

/// <summary>
/// Binds the socket of one listener: SO_REUSEADDR alone (see <see cref="AddressReuse"/>), IPv6
/// sockets IPv6-only (so <c>0.0.0.0</c> and <c>::</c> on one port are two listeners), IP_FREEBIND
/// when a rule asks for it, and listen() for TCP. A failure becomes a
/// <see cref="ListenerBindException"/> with the one line an operator needs.
/// </summary>
internal static class ListenerSocketFactory
{
    /// <param name="listener">What to bind.</param>
    /// <param name="prepare">Sets the protocol's own options on the socket before it is bound and listens.</param>
    public static Socket Bind(Listener listener, Action<Socket>? prepare = null)
    {
        var endpoint = listener.Endpoint.ToIPEndPoint();
        var tcp = listener.Protocol == TransportProtocol.Tcp;
        var socket = new Socket(
            endpoint.AddressFamily,
            tcp ? SocketType.Stream : SocketType.Dgram,
            tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            AddressReuse.Enable(socket);
            prepare?.Invoke(socket);
            if (listener.FreeBind && !RawSocketOptions.TrySetFreeBind(socket))
            {
                throw new ListenerBindException($"{Describe(listener)}: ip.ip_freebind is not supported on this system");
            }

            socket.Bind(endpoint);
            if (tcp)
            {
                // The kernel caps the backlog at net.core.somaxconn; ask for the most it allows.
                socket.Listen();
            }

            return socket;
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new ListenerBindException($"{Describe(listener)}: {Cause(exception.SocketErrorCode, listener)}", exception)
            {
                Listener = listener,
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>"pass(3) at bouncer.conf:7: cannot listen on tcp 192.0.2.10:80".</summary>
    public static string Describe(Listener listener)
    {
        var rule = listener.Rules.IsDefaultOrEmpty ? null : listener.Rules[0];
        var where = rule is null
            ? string.Empty
            : rule.Position.File is null ? rule.Label + ": " : $"{rule.Label} at {rule.Position.File}:{rule.Position.Line}: ";
        return $"{where}cannot listen on {listener}";
    }

    private static string Cause(SocketError error, Listener listener) => error switch
    {
        SocketError.AddressAlreadyInUse => "address already in use (another program, or another rule file, listens there)",
        SocketError.AddressNotAvailable => listener.FreeBind
            ? "address not available on this host"
            : "address not available on this host (add ip.ip_freebind: 1 to bind it before it exists)",
        SocketError.AccessDenied => listener.Endpoint.Port < 1024
            ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            : "permission denied",
        _ => SocketErrorClassifier.Classify(error).Detail,
    };
}
