using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Net;

namespace Bouncer.Engine.Udp;

/// <summary>
/// Which socket failures a datagram socket survives. A datagram socket sees ICMP errors as receive
/// or send failures (a connected socket gets ConnectionRefused after a port unreachable; Windows
/// reports the same as ConnectionReset even on unconnected sockets), and none of them may end a
/// listener. Texts and the "closed under us" test come from <see cref="SocketErrorClassifier"/>.
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
        _ => false,
    };

    /// <summary>True when the socket was closed under a pending operation, which is how loops are stopped.</summary>
    public static bool IsClosed(Exception exception) =>
        exception is ObjectDisposedException or OperationCanceledException or SocketException
        && SocketErrorClassifier.Classify(exception).Kind == FailureKind.Aborted;

    /// <summary>
    /// Whether a listener's receive loop goes on after a failed receive: yes after an error about
    /// one datagram or one peer; no when the socket was closed under it (how loops are stopped) or
    /// failed for good, which is logged, rate-limited.
    /// </summary>
    public static bool ListenerSurvives(Exception exception, RateLimitedLog warnings, EndPoint? local)
    {
        if (exception is SocketException transient && IsTransient(transient.SocketErrorCode))
        {
            return true;
        }

        if (!IsClosed(exception) && exception is SocketException failed)
        {
            warnings.Warning($"udp:receive:{local}", $"udp {local}: receiving failed, listener stops: {Describe(failed.SocketErrorCode)}");
        }

        return false;
    }

    /// <summary>The text in parentheses of a "remote peer error (...)" log line.</summary>
    public static string Describe(SocketError error) => SocketErrorClassifier.Classify(error).Detail;
}
