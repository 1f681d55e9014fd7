using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Matching;

/// <summary>What can be said about an address pattern without asking DNS.</summary>
internal enum AddressPatternMatch
{
    NoMatch,
    Match,

    /// <summary>A hostname or <c>.domain</c> pattern: only a lookup can tell.</summary>
    NeedsLookup,
}

/// <summary>Matches a <c>from:</c> address pattern against a client address.</summary>
internal static class AddressPatternMatcher
{
    /// <summary>The answer for IP patterns, or <see cref="AddressPatternMatch.NeedsLookup"/> for name patterns. Never allocates.</summary>
    /// <param name="client">The client address, already normalized (<see cref="MappedAddress.Unmap"/>).</param>
    public static AddressPatternMatch MatchWithoutLookup(AddressPattern pattern, IPAddress client) => pattern switch
    {
        AnyAddressPattern => AddressPatternMatch.Match,
        NetworkPattern network => network.Contains(client) ? AddressPatternMatch.Match : AddressPatternMatch.NoMatch,
        HostnamePattern or DomainPattern => AddressPatternMatch.NeedsLookup,
        _ => AddressPatternMatch.NoMatch,
    };

    /// <summary>The full answer, looking names up through <paramref name="lookups"/> where the pattern needs it.</summary>
    public static async ValueTask<bool> MatchesAsync(
        AddressPattern pattern, IPAddress client, ClientNameLookups lookups, CancellationToken cancellationToken)
    {
        switch (pattern)
        {
            case HostnamePattern hostname:
                return await lookups.ResolvesToClientAsync(hostname.Hostname, cancellationToken).ConfigureAwait(false);
            case DomainPattern domain:
                var name = await lookups.GetReverseNameAsync(cancellationToken).ConfigureAwait(false);
                return name is not null && DomainName.IsWithin(name, domain.Suffix);
            default:
                return MatchWithoutLookup(pattern, client) == AddressPatternMatch.Match;
        }
    }
}
