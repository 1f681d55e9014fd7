using System.Net.Sockets;

namespace Bouncer.Engine.Net;

/// <summary>
/// Linux errno values of socket calls the engine makes itself (such as <see cref="Udp.DatagramBatch"/>'s
/// sendmmsg and recvmmsg), as the <see cref="SocketError"/> that <see cref="Socket"/> reports for
/// the same failure (values from asm-generic/errno.h).
/// </summary>
internal static class LinuxErrors
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied,           // EPERM (a firewall refused the send), EACCES
        4 => SocketError.Interrupted,                  // EINTR
        9 or 88 => SocketError.OperationAborted,       // EBADF, ENOTSOCK: closed under the call
        11 => SocketError.WouldBlock,                  // EAGAIN
        23 or 24 => SocketError.TooManyOpenSockets,    // ENFILE, EMFILE
        32 => SocketError.Shutdown,                    // EPIPE
        90 => SocketError.MessageSize,                 // EMSGSIZE
        98 => SocketError.AddressAlreadyInUse,         // EADDRINUSE
        99 => SocketError.AddressNotAvailable,         // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,                // ENETDOWN
        101 => SocketError.NetworkUnreachable,         // ENETUNREACH
        103 => SocketError.ConnectionAborted,          // ECONNABORTED
        104 => SocketError.ConnectionReset,            // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable,     // ENOBUFS
        107 => SocketError.NotConnected,               // ENOTCONN
        110 => SocketError.TimedOut,                   // ETIMEDOUT
        111 => SocketError.ConnectionRefused,          // ECONNREFUSED: ICMP port unreachable
        112 => SocketError.HostDown,                   // EHOSTDOWN
        113 => SocketError.HostUnreachable,            // EHOSTUNREACH
        _ => SocketError.SocketError,
    };
}
