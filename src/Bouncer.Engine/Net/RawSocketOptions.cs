using System.Net.Sockets;

namespace Bouncer.Engine.Net;

/// <summary>
/// Linux socket options that .NET has no named constant for, set with
/// <see cref="Socket.SetRawSocketOption"/>. Values are from linux/in.h and linux/in6.h.
/// </summary>
internal static class RawSocketOptions
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int IpFreeBind = 15;
    private const int IpBindAddressNoPort = 24;
    private const int Ipv6FreeBind = 78;
    private const int Ipv6TrafficClass = 67;

    /// <summary>Lets <paramref name="socket"/> bind an address the host does not have (yet). Linux only; false elsewhere.</summary>
    public static bool TrySetFreeBind(Socket socket) => socket.AddressFamily == AddressFamily.InterNetworkV6
        ? TrySetInt(socket, SolIpv6, Ipv6FreeBind, 1)
        : TrySetInt(socket, SolIp, IpFreeBind, 1);

    /// <summary>
    /// Defers the choice of source port from bind() to connect(), so binding a source address for
    /// many outgoing connections does not exhaust ports per address (IP_BIND_ADDRESS_NO_PORT).
    /// Applies to IPv6 sockets too (the option lives at SOL_IP).
    /// </summary>
    public static bool TrySetBindAddressNoPort(Socket socket) => TrySetInt(socket, SolIp, IpBindAddressNoPort, 1);

    /// <summary>IPV6_TCLASS, the IPv6 counterpart of IP_TOS.</summary>
    public static bool TrySetIpv6TrafficClass(Socket socket, int value) => TrySetInt(socket, SolIpv6, Ipv6TrafficClass, value);

    private static bool TrySetInt(Socket socket, int level, int name, int value)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(bytes, value);
        try
        {
            socket.SetRawSocketOption(level, name, bytes);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
