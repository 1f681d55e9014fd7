using System.Runtime.CompilerServices;
using Bouncer.Rules.Comparison;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.State;

/// <summary>
/// The <see cref="RuleStatistics"/> of every rule, keyed by the <see cref="Rule"/> object, as the
/// limits are: a session keeps its rule, so it counts where it started. A reload hands the
/// counters of each unchanged rule on to its successor (<see cref="CarryOver"/>), so a logrotate
/// HUP does not reset them. The weak table lets a rule's counters go with the rule.
/// </summary>
internal sealed class RuleStatisticsRegistry
{
    private readonly ConditionalWeakTable<Rule, RuleStatistics> _byRule = new();

    public RuleStatistics For(Rule rule) => _byRule.GetValue(rule, static _ => new RuleStatistics());

    /// <summary>Makes each rule that a reload kept unchanged share its predecessor's counters.</summary>
    public void CarryOver(RuleTableChanges changes)
    {
        foreach (var (before, after) in changes.Unchanged)
        {
            if (!ReferenceEquals(before, after) && _byRule.TryGetValue(before, out var statistics))
            {
                _byRule.AddOrUpdate(after, statistics);
            }
        }
    }
}
