using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Matching;

/// <summary>
/// Decides which rule a new TCP connection or new UDP client falls under (design §2.6): rules are
/// tried in file order and the first whose protocol, <c>from:</c> (address and source port) and
/// <c>to:</c> (local address and port) all match decides; no match is <see cref="Rule.ImplicitBlock"/>.
/// A pure function of its inputs and the resolver's answers.
/// </summary>
/// <remarks>
/// The answer completes synchronously and without allocation while only IP patterns have to be
/// consulted. The first rule that needs a name lookup (hostname or <c>.domain</c> on <c>from:</c>)
/// and whose other conditions hold switches the scan to an asynchronous continuation; a lookup
/// that fails or has no answer simply does not match.
/// </remarks>
public sealed class RuleMatcher
{
    private readonly INameResolver _resolver;

    public RuleMatcher(INameResolver resolver)
    {
        _resolver = resolver;
    }

    /// <summary>Matches against every rule of <paramref name="table"/>, in file order.</summary>
    /// <param name="client">The client's address and source port.</param>
    /// <param name="local">The local address and port the client reached (not the wildcard a listener is bound to).</param>
    public ValueTask<Rule> MatchAsync(
        RuleTable table, TransportProtocol protocol, IPEndPoint client, IPEndPoint local, CancellationToken cancellationToken = default) =>
        MatchAsync(table.Rules, protocol, client, local, cancellationToken);

    /// <summary>
    /// Matches against <paramref name="rules"/>, taken to be in file order: the engine passes the
    /// rules of the listener that accepted the client (<c>Listener.Rules</c>), which give the same
    /// answer as the whole table for any client that reached it, because a specific listener also
    /// carries the rules of a wildcard listener on the same port (see <see cref="RuleTable"/>).
    /// </summary>
    public ValueTask<Rule> MatchAsync(
        ImmutableArray<Rule> rules, TransportProtocol protocol, IPEndPoint client, IPEndPoint local, CancellationToken cancellationToken = default)
    {
        var clientAddress = MappedAddress.Unmap(client.Address);
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (!MatchesApartFromAddress(rule, protocol, client.Port, local))
            {
                continue;
            }

            switch (AddressPatternMatcher.MatchWithoutLookup(rule.From.Address, clientAddress))
            {
                case AddressPatternMatch.Match:
                    return new ValueTask<Rule>(rule);
                case AddressPatternMatch.NeedsLookup:
                    return MatchWithLookupsAsync(rules, i, protocol, clientAddress, client.Port, local, cancellationToken);
                default:
                    continue;
            }
        }

        return new ValueTask<Rule>(Rule.ImplicitBlock);
    }

    private async ValueTask<Rule> MatchWithLookupsAsync(
        ImmutableArray<Rule> rules,
        int start,
        TransportProtocol protocol,
        IPAddress clientAddress,
        int clientPort,
        IPEndPoint local,
        CancellationToken cancellationToken)
    {
        var lookups = new ClientNameLookups(_resolver, clientAddress);
        for (var i = start; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (MatchesApartFromAddress(rule, protocol, clientPort, local)
                && await AddressPatternMatcher.MatchesAsync(rule.From.Address, clientAddress, lookups, cancellationToken).ConfigureAwait(false))
            {
                return rule;
            }
        }

        return Rule.ImplicitBlock;
    }

    /// <summary>The cheap conditions, checked first so that no lookup is made for a rule they already exclude.</summary>
    private static bool MatchesApartFromAddress(Rule rule, TransportProtocol protocol, int clientPort, IPEndPoint local) =>
        rule.Protocols.Includes(protocol) && rule.From.Port.Matches(clientPort) && rule.To.Matches(local);
}
