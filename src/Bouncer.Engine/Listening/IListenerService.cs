using System.Net.Sockets;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Listening;

/// <summary>
/// What runs on one bound listener socket: the TCP accept loop, later the UDP relay. It owns its
/// loop; <see cref="StopAsync"/> ends the loop, closes the socket and awaits the loop.
/// </summary>
internal interface IListenerService
{
    ListenerKey Key { get; }

    void Start();

    /// <summary>Stops taking new sessions on this socket and closes it. Live sessions are not touched.</summary>
    ValueTask StopAsync();
}

/// <summary>Makes the <see cref="IListenerService"/> for a freshly bound socket of one protocol.</summary>
internal interface IListenerServiceFactory
{
    TransportProtocol Protocol { get; }

    /// <summary>Sets, before the socket is bound and listens, the options of the listener itself (none for most protocols).</summary>
    void PrepareListener(Socket unbound);

    /// <summary>Creates and configures the socket (type, listen backlog); binding is done by <see cref="ListenerSocketFactory"/>.</summary>
    IListenerService Create(ListenerKey key, Socket boundSocket);
}
