using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// The options every accepted client connection needs, set once on the listening socket: Linux
/// copies a listener's TCP_NODELAY and SO_KEEPALIVE to each connection it accepts, so a session
/// need not set them itself: two setsockopt() calls less per connection (strace -c of the crr
/// load: 4 setsockopt() calls per connection before, 2 after, both now on the outgoing socket).
/// </summary>
internal static class AcceptedSocketDefaults
{
    /// <summary>
    /// Whether accepted connections are known to inherit the options: Linux documents it for both.
    /// Elsewhere each session still sets them itself, as a connection without TCP_NODELAY would
    /// hold small writes back.
    /// </summary>
    public static bool Inherited { get; } = OperatingSystem.IsLinux();

    /// <param name="listener">A TCP socket that does not listen yet: connections accepted before the options are set would not have them.</param>
    /// <param name="keepAlive">The engine's keep-alive default (off with <c>-n</c>); a rule's <c>so_keepalive</c> still overrides it per session.</param>
    public static void Apply(Socket listener, bool keepAlive)
    {
        listener.NoDelay = true;
        if (keepAlive)
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }
    }
}
