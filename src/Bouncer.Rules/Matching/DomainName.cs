using System.Net;

namespace Bouncer.Rules.Matching;

/// <summary>Comparisons of DNS names as <c>.domain</c> patterns and <c>srchost</c> checks need them.</summary>
internal static class DomainName
{
    /// <summary>
    /// The usable form of a reverse-lookup answer: without the trailing dot and in lower case (DNS
    /// names ignore case, so the forward lookup and comparisons see one spelling), or null when
    /// there is no name. Some resolvers answer a failed reverse lookup with the address itself;
    /// that is no name either.
    /// </summary>
    public static string? FromReverseLookup(string? name)
    {
        var trimmed = name?.Trim().TrimEnd('.');
        if (string.IsNullOrEmpty(trimmed) || IPAddress.TryParse(trimmed, out _))
        {
            return null;
        }

        return trimmed.ToLowerInvariant();
    }

    /// <summary>
    /// True when <paramref name="name"/> is <paramref name="domain"/> or a name inside it: equal, or
    /// ending in "." + domain. Case-insensitive, trailing dots ignored. Unlike Barefoot's raw suffix
    /// compare, <c>evilpartner.example</c> is not inside <c>partner.example</c>.
    /// </summary>
    public static bool IsWithin(ReadOnlySpan<char> name, ReadOnlySpan<char> domain)
    {
        name = name.TrimEnd('.');
        domain = domain.Trim('.');
        if (domain.IsEmpty)
        {
            // The root domain holds every name.
            return !name.IsEmpty;
        }

        if (!name.EndsWith(domain, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return name.Length == domain.Length || name[name.Length - domain.Length - 1] == '.';
    }
}
