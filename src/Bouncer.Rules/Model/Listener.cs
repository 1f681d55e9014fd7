using System.Collections.Immutable;

namespace Bouncer.Rules.Model;

/// <summary>
/// One socket the engine binds: a distinct (protocol, address, port) of the table, shared by
/// every rule whose <c>to:</c> names it. <see cref="Rules"/> are those rules in file order.
/// </summary>
public sealed record Listener(TransportProtocol Protocol, ListenEndpoint Endpoint, ImmutableArray<Rule> Rules)
{
    /// <summary>The identity the engine keeps a socket by across reloads.</summary>
    public ListenerKey Key => new(Protocol, Endpoint);

    /// <summary>Whether any rule of this listener asks for freebind (bind an address not yet on the host).</summary>
    public bool FreeBind => Rules.Any(r => r.SocketOptions.Any(o => o.Kind == SocketOptionKind.FreeBind && o.Value != 0));

    public override string ToString() => $"{Protocol.ToKeyword()} {Endpoint}";
}

/// <summary>Identity of a listener socket.</summary>
public readonly record struct ListenerKey(TransportProtocol Protocol, ListenEndpoint Endpoint);
