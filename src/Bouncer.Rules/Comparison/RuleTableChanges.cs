using System.Collections.Immutable;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Comparison;

/// <summary>
/// What a reload changes in the rules. Each rule of the new table is paired with the first
/// unpaired rule of the old table that has the same identity (protocols, <c>from:</c>, <c>to:</c>
/// endpoints; see <see cref="RuleContent"/>): a pair with the same content is unchanged, one that
/// differs (target, verdict, options) is changed; new rules without a partner are added, old ones
/// removed. Numbers and positions are ignored, so moving or renumbering rules changes nothing.
/// </summary>
public sealed record RuleTableChanges(
    ImmutableArray<Rule> Added,
    ImmutableArray<Rule> Removed,
    ImmutableArray<(Rule Before, Rule After)> Changed,
    ImmutableArray<(Rule Before, Rule After)> Unchanged)
{
    public static RuleTableChanges Compare(RuleTable previous, RuleTable next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        var waiting = new Dictionary<int, List<Rule>>();
        foreach (var rule in previous.Rules)
        {
            var hash = RuleContent.IdentityHash(rule);
            if (!waiting.TryGetValue(hash, out var bucket))
            {
                waiting[hash] = bucket = [];
            }

            bucket.Add(rule);
        }

        var added = ImmutableArray.CreateBuilder<Rule>();
        var changed = ImmutableArray.CreateBuilder<(Rule, Rule)>();
        var unchanged = ImmutableArray.CreateBuilder<(Rule, Rule)>();
        foreach (var rule in next.Rules)
        {
            var partner = TakePartner(waiting, rule);
            if (partner is null)
            {
                added.Add(rule);
            }
            else if (RuleContent.SameContent(partner, rule))
            {
                unchanged.Add((partner, rule));
            }
            else
            {
                changed.Add((partner, rule));
            }
        }

        var unpaired = new HashSet<object>(waiting.Values.SelectMany(bucket => bucket), ReferenceEqualityComparer.Instance);
        var removed = previous.Rules.Where(unpaired.Contains);
        return new RuleTableChanges(added.ToImmutable(), [.. removed], changed.ToImmutable(), unchanged.ToImmutable());
    }

    /// <summary>"2 added, 1 removed, 3 changed, 9994 unchanged".</summary>
    public override string ToString() =>
        $"{Added.Length} added, {Removed.Length} removed, {Changed.Length} changed, {Unchanged.Length} unchanged";

    /// <summary>Removes and returns the first old rule with the identity of <paramref name="rule"/>, preferring one with equal content.</summary>
    private static Rule? TakePartner(Dictionary<int, List<Rule>> waiting, Rule rule)
    {
        if (!waiting.TryGetValue(RuleContent.IdentityHash(rule), out var bucket))
        {
            return null;
        }

        var index = bucket.FindIndex(r => RuleContent.SameContent(r, rule));
        if (index < 0)
        {
            index = bucket.FindIndex(r => RuleContent.SameIdentity(r, rule));
        }

        if (index < 0)
        {
            return null;
        }

        var partner = bucket[index];
        bucket.RemoveAt(index);
        return partner;
    }
}
