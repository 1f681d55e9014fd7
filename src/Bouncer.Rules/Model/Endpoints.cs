using System.Net;

namespace Bouncer.Rules.Model;

/// <summary>
/// One address and port a listener binds. <see cref="IsWildcard"/> listeners (0.0.0.0, ::) accept on
/// every local address and match whatever local address the client reached.
/// </summary>
public sealed record ListenEndpoint(IPAddress Address, int Port)
{
    public bool IsWildcard => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    public IPEndPoint ToIPEndPoint() => new(Address, Port);

    public override string ToString() => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}"
        : $"{Address}:{Port}";
}

/// <summary>
/// Where a passed session goes (<c>bounce to:</c>). Exactly one of <see cref="Address"/> and
/// <see cref="Hostname"/> is set; a hostname is resolved per connection.
/// </summary>
public sealed record BounceTarget(IPAddress? Address, string? Hostname, int Port)
{
    public override string ToString() => Address is null
        ? $"{Hostname} port = {Port}"
        : $"{Address} port = {Port}";
}

/// <summary>A <c>to:</c> clause: where the rule listens. Interface names and hostnames are expanded at load time.</summary>
public sealed record ListenSelector(string Text, System.Collections.Immutable.ImmutableArray<ListenEndpoint> Endpoints)
{
    /// <summary>True when the local endpoint a client reached is one this clause names (wildcards match any local address of the family).</summary>
    public bool Matches(IPEndPoint local)
    {
        var address = MappedAddress.Unmap(local.Address);
        foreach (var endpoint in Endpoints)
        {
            if (endpoint.Port != local.Port)
            {
                continue;
            }

            if (endpoint.Address.Equals(address))
            {
                return true;
            }

            if (endpoint.IsWildcard && endpoint.Address.AddressFamily == address.AddressFamily)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A <c>from:</c> clause: which clients a rule applies to.</summary>
public sealed record ClientSelector(AddressPattern Address, PortMatch Port)
{
    public override string ToString() => Port.Operator == PortOperator.Any ? Address.ToString()! : $"{Address} {Port}";
}
