using System.Runtime.CompilerServices;
using Bouncer.Rules.Comparison;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Limits;

/// <summary>
/// Limit state per rule, keyed by the <see cref="Rule"/> object itself (reference identity, not
/// record equality): sessions keep their rule across reloads, and so they keep counting against
/// that rule's limits. A rule that a reload keeps unchanged takes over its predecessor's state
/// (<see cref="CarryOver"/>), so a reload neither frees places of <c>session.max</c> that live
/// sessions hold nor refills throttles; a new or changed rule starts afresh. The weak table lets
/// the state of a rule go when no table and no session refers to the rule any more.
/// </summary>
internal sealed class LimitRegistry
{
    private readonly ConditionalWeakTable<Rule, RuleLimits> _byRule = new();
    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<Rule, RuleLimits>.CreateValueCallback _create;

    public LimitRegistry(TimeProvider time)
    {
        _time = time;
        _create = Create;
    }

    /// <summary>The concurrency/throttle limiter of <paramref name="rule"/>, or null when it has no session limits.</summary>
    public RuleLimiter? LimiterFor(Rule rule) => rule.Limits.IsUnlimited ? null : Get(rule).Limiter;

    /// <summary>The shared bandwidth of <paramref name="rule"/>, or null when it has none.</summary>
    public BandwidthLimiter? BandwidthFor(Rule rule) => rule.BandwidthBytesPerSecond is null ? null : Get(rule).Bandwidth;

    /// <summary>Makes each rule that a reload kept unchanged share its predecessor's limits.</summary>
    public void CarryOver(RuleTableChanges changes)
    {
        foreach (var (before, after) in changes.Unchanged)
        {
            if (!ReferenceEquals(before, after) && _byRule.TryGetValue(before, out var limits))
            {
                _byRule.AddOrUpdate(after, limits);
            }
        }
    }

    /// <summary>Drops per-client state that no longer limits anyone.</summary>
    public void Sweep(long now)
    {
        foreach (var (_, limits) in _byRule)
        {
            limits.Limiter?.Sweep(now);
        }
    }

    private RuleLimits Get(Rule rule) => _byRule.GetValue(rule, _create);

    private RuleLimits Create(Rule rule) => new(
        rule.Limits.IsUnlimited ? null : new RuleLimiter(rule.Limits, _time.GetMilliseconds()),
        rule.BandwidthBytesPerSecond is { } rate ? new BandwidthLimiter(rate, _time) : null);

    private sealed record RuleLimits(RuleLimiter? Limiter, BandwidthLimiter? Bandwidth);
}
