using Bouncer.Rules.Model;

namespace Bouncer.Rules.Comparison;

/// <summary>
/// How two rule tables' rules are told apart across a reload. A rule's <b>identity</b> is what it
/// is about: its protocols, its <c>from:</c> and the endpoints of its <c>to:</c>. Its
/// <b>content</b> is everything else too (verdict, target, options), but never its number or its
/// place in the file: inserting a rule above others renumbers them without changing them.
/// Records compare their <see cref="System.Collections.Immutable.ImmutableArray{T}"/> members by
/// reference, so those are compared element by element here.
/// </summary>
public static class RuleContent
{
    /// <summary>Whether <paramref name="left"/> and <paramref name="right"/> are about the same clients and listeners.</summary>
    public static bool SameIdentity(Rule left, Rule right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return left.Protocols == right.Protocols
            && left.From.Equals(right.From)
            && left.To.Endpoints.SequenceEqual(right.To.Endpoints);
    }

    /// <summary>Whether the two rules behave identically (numbers and positions aside).</summary>
    public static bool SameContent(Rule left, Rule right) =>
        SameIdentity(left, right)
        && left.SocketOptions.SequenceEqual(right.SocketOptions)
        && Comparable(left).Equals(Comparable(right));

    /// <summary>A hash consistent with <see cref="SameIdentity"/>, for grouping many rules.</summary>
    public static int IdentityHash(Rule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var hash = new HashCode();
        hash.Add(rule.Protocols);
        hash.Add(rule.From);
        foreach (var endpoint in rule.To.Endpoints)
        {
            hash.Add(endpoint);
        }

        return hash.ToHashCode();
    }

    /// <summary>The rule with what <see cref="SameContent"/> ignores or compares separately blanked out.</summary>
    private static Rule Comparable(Rule rule) => rule with
    {
        Number = 0,
        Position = default,
        To = Rule.ImplicitBlock.To,
        SocketOptions = default,
    };
}
