using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Matching;

/// <summary>
/// The engine's first-match scan (design §2.6). Network and any-address patterns are decided
/// synchronously; hostname and <c>.domain</c> patterns ask the (caching) resolver, and only when
/// the scan reaches them, so a table of plain networks never awaits.
/// </summary>
internal sealed class SessionMatcher : ISessionMatcher
{
    private readonly INameResolver _resolver;

    public SessionMatcher(INameResolver resolver)
    {
        _resolver = resolver;
    }

    public ValueTask<Rule> MatchAsync(
        ImmutableArray<Rule> rules,
        TransportProtocol protocol,
        IPEndPoint client,
        IPEndPoint local,
        CancellationToken cancellationToken)
    {
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (!MatchesWithoutAddress(rule, protocol, client, local))
            {
                continue;
            }

            switch (rule.From.Address)
            {
                case AnyAddressPattern:
                    return ValueTask.FromResult(rule);
                case NetworkPattern network:
                    if (network.Contains(client.Address))
                    {
                        return ValueTask.FromResult(rule);
                    }

                    continue;
                default:
                    return MatchFromAsync(rules, i, protocol, client, local, cancellationToken);
            }
        }

        return ValueTask.FromResult(Rule.ImplicitBlock);
    }

    private static bool MatchesWithoutAddress(Rule rule, TransportProtocol protocol, IPEndPoint client, IPEndPoint local) =>
        rule.Protocols.Includes(protocol) && rule.From.Port.Matches(client.Port) && rule.To.Matches(local);

    private static bool EndsWithDomain(string name, string suffix)
    {
        name = name.TrimEnd('.');
        suffix = suffix.TrimEnd('.');
        return name.Equals(suffix, StringComparison.OrdinalIgnoreCase)
            || (name.Length > suffix.Length
                && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && name[name.Length - suffix.Length - 1] == '.');
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private async ValueTask<Rule> MatchFromAsync(
        ImmutableArray<Rule> rules,
        int start,
        TransportProtocol protocol,
        IPEndPoint client,
        IPEndPoint local,
        CancellationToken cancellationToken)
    {
        for (var i = start; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (MatchesWithoutAddress(rule, protocol, client, local)
                && await AddressMatchesAsync(rule.From.Address, client.Address, cancellationToken).ConfigureAwait(false))
            {
                return rule;
            }
        }

        return Rule.ImplicitBlock;
    }

    private async ValueTask<bool> AddressMatchesAsync(AddressPattern pattern, IPAddress client, CancellationToken cancellationToken)
    {
        switch (pattern)
        {
            case AnyAddressPattern:
                return true;
            case NetworkPattern network:
                return network.Contains(client);
            case HostnamePattern hostname:
                var addresses = await _resolver.ResolveAsync(hostname.Hostname, cancellationToken).ConfigureAwait(false);
                var normalized = Normalize(client);
                return addresses.Any(a => Normalize(a).Equals(normalized));
            case DomainPattern domain:
                var name = await _resolver.ReverseLookupAsync(client, cancellationToken).ConfigureAwait(false);
                return name is not null && EndsWithDomain(name, domain.Suffix);
            default:
                return false;
        }
    }
}
