using System.Collections.Immutable;
using System.Net.Sockets;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Net;

/// <summary>
/// Applies the supported socket options (design §2.4) to one leg of a session: the settings'
/// options first, then the rule's, so a rule overrides the file-wide value. Keep-alive is switched
/// on before either, so an explicit <c>so_keepalive: 0</c> still turns it off.
/// </summary>
internal static class SocketOptionApplier
{
    // The engine's own keep-alive (-n turns it off), one per side rather than one per socket.
    private static readonly SocketOption InternalKeepAlive = new(SocketSide.Internal, SocketOptionKind.KeepAlive, 1, "keepalive");
    private static readonly SocketOption ExternalKeepAlive = new(SocketSide.External, SocketOptionKind.KeepAlive, 1, "keepalive");

    /// <summary>
    /// Whether <see cref="Apply"/> would set anything on a socket of <paramref name="side"/>: lets a
    /// caller that has no <see cref="Socket"/> object yet skip making one.
    /// </summary>
    public static bool HasWork(SocketSide side, bool keepAlive, ImmutableArray<SocketOption> settingsOptions, ImmutableArray<SocketOption> ruleOptions) =>
        keepAlive || HasWork(side, settingsOptions) || HasWork(side, ruleOptions);

    /// <summary>Applies the options; returns the keyword of the first option the OS rejected, or null.</summary>
    public static string? Apply(
        Socket socket,
        SocketSide side,
        bool keepAlive,
        ImmutableArray<SocketOption> settingsOptions,
        ImmutableArray<SocketOption> ruleOptions)
    {
        string? failed = null;
        if (keepAlive)
        {
            failed ??= TryApply(socket, side == SocketSide.Internal ? InternalKeepAlive : ExternalKeepAlive);
        }

        foreach (var option in settingsOptions)
        {
            if (option.Side == side)
            {
                failed ??= TryApply(socket, option);
            }
        }

        foreach (var option in ruleOptions)
        {
            if (option.Side == side)
            {
                failed ??= TryApply(socket, option);
            }
        }

        return failed;
    }

    // Freebind is set before bind(), by listeners and outgoing sockets themselves (see Set).
    private static bool HasWork(SocketSide side, ImmutableArray<SocketOption> options)
    {
        foreach (var option in options)
        {
            if (option.Side == side && option.Kind != SocketOptionKind.FreeBind)
            {
                return true;
            }
        }

        return false;
    }

    private static string? TryApply(Socket socket, SocketOption option)
    {
        try
        {
            return Set(socket, option) ? null : option.Keyword;
        }
        catch (SocketException)
        {
            return option.Keyword;
        }
        catch (ArgumentException)
        {
            // A value the runtime itself refuses is reported like one the kernel refuses: a
            // warning for the option, never a failed session.
            return option.Keyword;
        }
    }

    private static bool Set(Socket socket, SocketOption option)
    {
        var value = option.Value;
        switch (option.Kind)
        {
            case SocketOptionKind.ReceiveBuffer:
                socket.ReceiveBufferSize = value;
                return true;
            case SocketOptionKind.SendBuffer:
                socket.SendBufferSize = value;
                return true;
            case SocketOptionKind.KeepAlive:
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, value != 0);
                return true;
            case SocketOptionKind.NoDelay:
                socket.NoDelay = value != 0;
                return true;
            case SocketOptionKind.KeepAliveIdle:
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, value);
                return true;
            case SocketOptionKind.KeepAliveInterval:
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, value);
                return true;
            case SocketOptionKind.KeepAliveCount:
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, value);
                return true;
            case SocketOptionKind.TypeOfService:
                if (socket.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    return RawSocketOptions.TrySetIpv6TrafficClass(socket, value);
                }

                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, value);
                return true;
            case SocketOptionKind.TimeToLive:
                socket.Ttl = (short)value;
                return true;
            case SocketOptionKind.FreeBind:
                // Freebind matters before bind(): listeners and outgoing sockets set it themselves.
                return true;
            default:
                return false;
        }
    }
}
