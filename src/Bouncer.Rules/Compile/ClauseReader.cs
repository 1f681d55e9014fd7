using System.Net;
using System.Runtime.InteropServices;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// Reads the address clauses of a rule: <c>from:</c>, <c>to:</c>, <c>bounce to:</c> and
/// <c>redirect from:</c>, each with the netmask and port rules of design §2.2 and §2.3.
/// </summary>
internal sealed class ClauseReader(
    ValueReader values, AddressReader addresses, PortReader ports, NameExpander names,
    Environment.INetworkEnvironment environment, Settings settings)
{
    /// <summary>The address word and optional port clause of an address option.</summary>
    private (WordSyntax Address, PortSyntax? Port)? Split(OptionSyntax option, string example)
    {
        var vs = option.Values;
        if (vs.Length == 0 || vs[0] is not WordSyntax address)
        {
            values.Error(vs.Length == 0 ? option.Position : vs[0].Position, $"{option.Keyword}: needs an address first (like {example})");
            return null;
        }

        var port = vs.Length > 1 ? vs[1] as PortSyntax : null;
        var extraIndex = port is null ? 1 : 2;
        if (vs.Length > extraIndex)
        {
            var extra = vs[extraIndex];
            values.Error(extra.Position, extra is PortSyntax
                ? $"{option.Keyword}: takes one port clause; found '{extra}' as well"
                : $"{option.Keyword}: takes one address and a port; found '{extra}' as well");
            return null;
        }

        return (address, port);
    }

    public ClientSelector? ReadFrom(OptionSyntax option)
    {
        if (Split(option, "10.0.0.0/8 or 0/0") is not var (word, portSyntax))
        {
            return null;
        }

        var literal = addresses.Read(word);
        var port = portSyntax is null ? PortMatch.Any : ports.Read(portSyntax);
        var pattern = literal is null ? null : ReadFromAddress(word, literal);
        return pattern is null || port is null ? null : new ClientSelector(pattern, port);
    }

    private AddressPattern? ReadFromAddress(WordSyntax word, AddressLiteral literal)
    {
        switch (literal.Form)
        {
            case AddressForm.AnyFamily:
                return AnyAddressPattern.Instance;
            case AddressForm.Domain:
                return new DomainPattern(literal.Name!);
            case AddressForm.Name:
                if (environment.GetInterfaceAddresses(literal.Name!) is not null)
                {
                    values.Error(word.Position, $"from: '{literal.Name}' is an interface name; from: takes the network instead (like 192.0.2.0/24)");
                    return null;
                }

                return new HostnamePattern(literal.Name!.ToLowerInvariant());
        }

        if (!literal.HasMask)
        {
            values.Error(word.Position, $"from: {word.Text} needs a netmask (add {literal.HostMask} for one host)");
            return null;
        }

        var (network, hadHostBits) = literal.Network();
        if (hadHostBits)
        {
            values.Warning(word.Position, $"from: {word.Text} has host bits set; it means {network}/{literal.Prefix}");
        }

        return new NetworkPattern(network, literal.Prefix!.Value);
    }

    public ListenSelector? ReadTo(OptionSyntax option)
    {
        if (Split(option, "192.0.2.10 port = 80") is not var (word, portSyntax))
        {
            return null;
        }

        var literal = addresses.Read(word);
        var port = ReadListenPort(option, portSyntax);
        var endpoints = literal is null ? null : ReadListenAddresses(word, literal);
        if (port is not { } listenPort || endpoints is null)
        {
            return null;
        }

        var listen = new ListenEndpoint[endpoints.Count];
        for (var i = 0; i < listen.Length; i++)
        {
            listen[i] = new ListenEndpoint(endpoints[i], listenPort);
        }

        return new ListenSelector(word.Text, ImmutableCollectionsMarshal.AsImmutableArray(listen));
    }

    private int? ReadListenPort(OptionSyntax option, PortSyntax? portSyntax)
    {
        if (portSyntax is null)
        {
            values.Error(option.Position, "to: needs one port to listen on (add port = N)");
            return null;
        }

        if (ports.Read(portSyntax) is not { } port)
        {
            return null;
        }

        if (port.Operator != PortOperator.Equal)
        {
            values.Error(portSyntax.Position, $"to: needs one port to listen on (found '{port}'; write port = N)");
            return null;
        }

        if (port.Low == 0)
        {
            values.Error(portSyntax.Low.Position, "to: port 0 is not a port to listen on");
            return null;
        }

        return port.Low;
    }

    private IReadOnlyList<IPAddress>? ReadListenAddresses(WordSyntax word, AddressLiteral literal)
    {
        if (literal.HasMask)
        {
            values.Error(literal.MaskPosition, "netmask not allowed on to: (it names one address to listen on)");
            return null;
        }

        if (literal.Form == AddressForm.Domain)
        {
            values.Error(word.Position, $"to: takes an IP address, hostname or interface name; a domain ({word.Text}) is only for from:");
            return null;
        }

        if (literal.IsIP)
        {
            if (!NameExpander.Allows(settings.InternalFamilies, literal.Address!.AddressFamily))
            {
                values.Error(word.Position, $"to: {word.Text} is not allowed by internal.protocol: {NameExpander.Describe(settings.InternalFamilies)}");
                return null;
            }

            return [literal.Address!];
        }

        return names.Expand(word, literal.Name!, "to:", settings.InternalFamilies, "internal.protocol");
    }

    /// <summary>The target; <paramref name="defaultPort"/> (the to: port) when no port is given.</summary>
    public (IPAddress? Address, string? Hostname, int? Port)? ReadBounceTo(OptionSyntax option)
    {
        if (Split(option, "10.1.1.10 port = 8080") is not var (word, portSyntax) || addresses.Read(word) is not { } literal)
        {
            return null;
        }

        int? port = null;
        if (portSyntax is not null)
        {
            if (portSyntax.Operator is not ("=" or "eq" or ":"))
            {
                values.Error(portSyntax.Position, $"bounce to: port needs an operator and one port (write port = N), not '{portSyntax}'");
                return null;
            }

            port = ports.Read(portSyntax)?.Low;
            if (port is null)
            {
                return null;
            }

            if (port == 0)
            {
                values.Error(portSyntax.Low.Position, "bounce to: port 0 is not a port to connect to");
                return null;
            }
        }

        if (literal.HasMask)
        {
            values.Error(literal.MaskPosition, "netmask not allowed on bounce to: (it names one address to connect to)");
            return null;
        }

        return literal.Form switch
        {
            AddressForm.Domain => Fail($"bounce to: takes an IP address or hostname; a domain ({word.Text}) is only for from:"),
            _ when literal.IsWildcard => Fail($"bounce to: {word.Text} is not an address to connect to"),
            AddressForm.Name => (null, literal.Name, port),
            _ => (literal.Address, null, port),
        };

        (IPAddress?, string?, int?)? Fail(string message)
        {
            values.Error(word.Position, message);
            return null;
        }
    }

    public IPAddress? ReadRedirectFrom(OptionSyntax option)
    {
        if (values.Single(option, "an IP address of this host") is not { } word || addresses.Read(word) is not { } literal)
        {
            return null;
        }

        if (!literal.IsIP || literal.HasMask)
        {
            values.Error(word.Position, $"redirect from: needs an IP address of this host without a netmask, not '{word.Text}'");
            return null;
        }

        return literal.Address;
    }
}
