using System.Net.Sockets;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The one place where socket failures on the UDP path are sorted into "expected, keep going" and
/// "this socket is finished". A datagram socket sees ICMP errors as receive or send failures
/// (a connected socket gets ConnectionRefused after a port unreachable; Windows reports the same
/// as ConnectionReset even on unconnected sockets), and none of them may end a listener.
/// </summary>
internal static class UdpSocketErrors
{
    /// <summary>True for errors that concern one datagram or one peer, after which the socket still works.</summary>
    public static bool IsTransient(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => true,
        SocketError.ConnectionReset => true,
        SocketError.HostUnreachable => true,
        SocketError.NetworkUnreachable => true,
        SocketError.HostDown => true,
        SocketError.NetworkDown => true,
        SocketError.MessageSize => true,
        SocketError.NoBufferSpaceAvailable => true,
        SocketError.TimedOut => true,
        SocketError.AccessDenied => true,
        SocketError.AddressNotAvailable => true,
        SocketError.WouldBlock => true,
        SocketError.Interrupted => true,
        _ => false,
    };

    /// <summary>True when the socket was closed under a pending operation, which is how loops are stopped.</summary>
    public static bool IsClosed(Exception exception) => exception switch
    {
        ObjectDisposedException => true,
        OperationCanceledException => true,
        SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown or SocketError.NotSocket } => true,
        _ => false,
    };

    /// <summary>The text in parentheses of a "remote peer error (...)" log line, worded as the C library words it.</summary>
    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "Connection refused",
        SocketError.ConnectionReset => "Connection reset by peer",
        SocketError.HostUnreachable => "No route to host",
        SocketError.NetworkUnreachable => "Network is unreachable",
        SocketError.HostDown => "Host is down",
        SocketError.NetworkDown => "Network is down",
        SocketError.MessageSize => "Message too long",
        SocketError.NoBufferSpaceAvailable => "No buffer space available",
        SocketError.TimedOut => "Connection timed out",
        SocketError.AccessDenied => "Permission denied",
        SocketError.AddressNotAvailable => "Cannot assign requested address",
        _ => error.ToString(),
    };
}
