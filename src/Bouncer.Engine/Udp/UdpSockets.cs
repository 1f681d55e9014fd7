using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>Creates and prepares the datagram sockets of the UDP relay.</summary>
internal static class UdpSockets
{
    /// <summary>Large enough for any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    public const int DatagramBufferSize = 65536;

    // Windows reports an ICMP port unreachable caused by an earlier send as WSAECONNRESET on the
    // next receive of an unconnected socket; a listener must not see other clients' errors.
    private const int WindowsSioUdpConnReset = unchecked((int)0x9800000C);

    /// <summary>
    /// Kernel buffer for every relay socket (listener and flow), before rule options, which may set
    /// their own. The default (about 208 KiB on Linux) overflows under bursts of a few hundred
    /// datagrams in flight (docs/performance.md). Linux caps the request at net.core.rmem_max /
    /// wmem_max; the memory is only used while datagrams wait.
    /// </summary>
    public const int SocketBufferSize = 4 * 1024 * 1024;

    /// <summary>Prepares a bound listener socket: larger buffers, and ICMP errors about earlier sends must not surface on it.</summary>
    public static void PrepareListener(Socket socket)
    {
        SetBufferSizes(socket);
        if (OperatingSystem.IsWindows())
        {
            socket.IOControl(WindowsSioUdpConnReset, [0, 0, 0, 0], null);
        }
    }

    /// <summary>
    /// The socket for one local address of a wildcard listener, on the wildcard's port (see
    /// <see cref="UdpWildcardSocket"/>).
    /// </summary>
    public static Socket CreateAddressListener(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            // Shares the wildcard's port, which the listener factory also opened with SO_REUSEADDR
            // (Windows allows that pair by default).
            AddressReuse.Enable(socket);

            PrepareListener(socket);
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
    /// The outgoing socket of one flow: bound to <paramref name="source"/> (or the OS's choice), on the
    /// client's port when <c>compatibility: sameport</c> asks and it is free, and connected to
    /// <paramref name="target"/> when <paramref name="connect"/> is set, so the kernel drops datagrams
    /// from any other sender.
    /// </summary>
    public static Socket CreateOutgoing(IPEndPoint target, IPAddress? source, int samePort, bool connect, Rule rule, Settings settings)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (target.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            SetBufferSizes(socket);
            if (source is not null && HasExternalFreeBind(settings, rule))
            {
                RawSocketOptions.TrySetFreeBind(socket);
            }

            Bind(socket, source ?? AnyOf(target.AddressFamily), samePort);
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

    /// <summary>Applies the socket options that make sense for a datagram socket; returns the first the OS refused.</summary>
    public static string? ApplyOptions(Socket socket, SocketSide side, Settings settings, Rule? rule) =>
        SocketOptionApplier.Apply(
            socket,
            side,
            keepAlive: false,
            [.. settings.SocketOptions.Where(IsForDatagrams)],
            rule is null ? [] : [.. rule.SocketOptions.Where(IsForDatagrams)]);

    public static IPAddress AnyOf(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    private static void Bind(Socket socket, IPAddress address, int samePort)
    {
        if (samePort > 0)
        {
            try
            {
                socket.Bind(new IPEndPoint(address, samePort));
                return;
            }
            catch (SocketException)
            {
                // The client's port is taken on this address: any port, as Barefoot does.
            }
        }

        socket.Bind(new IPEndPoint(address, 0));
    }

    private static void SetBufferSizes(Socket socket)
    {
        try
        {
            socket.ReceiveBufferSize = SocketBufferSize;
            socket.SendBufferSize = SocketBufferSize;
        }
        catch (SocketException)
        {
            // A system that refuses the size keeps its default; the relay works, with more loss under bursts.
        }
    }

    private static bool IsForDatagrams(SocketOption option) => option.Kind is
        SocketOptionKind.ReceiveBuffer or SocketOptionKind.SendBuffer or SocketOptionKind.TypeOfService or SocketOptionKind.TimeToLive;

    private static bool HasExternalFreeBind(Settings settings, Rule rule) =>
        settings.SocketOptions.Concat(rule.SocketOptions)
            .Any(o => o.Side == SocketSide.External && o.Kind == SocketOptionKind.FreeBind && o.Value != 0);
}
