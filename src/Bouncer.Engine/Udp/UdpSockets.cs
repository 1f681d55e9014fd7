using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Udp;

/// <summary>Creates the datagram sockets of the UDP relay with the options each role needs.</summary>
internal static class UdpSockets
{
    /// <summary>Large enough for any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    public const int DatagramBufferSize = 65536;

    // Raw option numbers: .NET's ReuseAddress also sets SO_REUSEPORT on Linux, which would let a
    // second socket of the same user load-balance our datagrams away; plain SO_REUSEADDR does not.
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;
    private const int LinuxSolIp = 0;
    private const int LinuxIpFreeBind = 15;
    private const int LinuxSolIpv6 = 41;
    private const int LinuxIpv6FreeBind = 78;

    // Windows reports an ICMP port unreachable caused by an earlier send as WSAECONNRESET on the
    // next receive of an unconnected socket; a listener must not see other clients' errors.
    private const int WindowsSioUdpConnReset = unchecked((int)0x9800000C);

    /// <summary>
    /// A socket that receives from all clients on <paramref name="endpoint"/>. <paramref name="shared"/>
    /// sockets allow an address-specific socket on the same port next to a wildcard one (see
    /// <see cref="UdpWildcardSocket"/>); both sides of that pair must set it.
    /// </summary>
    public static Socket CreateListener(IPEndPoint endpoint, bool freeBind, bool shared)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "::" listens for IPv6 only, so a "0.0.0.0" listener on the same port can coexist.
                socket.DualMode = false;
            }

            if (shared)
            {
                AllowAddressSpecificNeighbour(socket);
            }

            if (freeBind)
            {
                EnableFreeBind(socket);
            }

            IgnoreConnectionResets(socket);
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The outgoing socket of one flow: bound to <paramref name="source"/> (or the OS's choice), and
    /// connected to <paramref name="target"/> when <paramref name="connect"/> is set so the kernel drops
    /// datagrams from any other sender.
    /// </summary>
    public static Socket CreateOutgoing(IPEndPoint target, IPAddress? source, bool connect)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (target.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(new IPEndPoint(source ?? AnyOf(target.AddressFamily), 0));
            if (connect)
            {
                socket.Connect(target);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static IPAddress AnyOf(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    private static void AllowAddressSpecificNeighbour(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
        }
        else if (!OperatingSystem.IsWindows())
        {
            // BSD and macOS: SO_REUSEADDR allows a specific address next to a wildcard.
            // Windows allows that pair by default, and its SO_REUSEADDR would allow stealing the port.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
    }

    private static void EnableFreeBind(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var value = BitConverter.GetBytes(1);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.SetRawSocketOption(LinuxSolIpv6, LinuxIpv6FreeBind, value);
        }
        else
        {
            socket.SetRawSocketOption(LinuxSolIp, LinuxIpFreeBind, value);
        }
    }

    private static void IgnoreConnectionResets(Socket socket)
    {
        if (OperatingSystem.IsWindows())
        {
            socket.IOControl(WindowsSioUdpConnReset, [0, 0, 0, 0], null);
        }
    }
}
