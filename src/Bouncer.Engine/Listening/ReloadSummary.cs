using Bouncer.Rules.Comparison;

namespace Bouncer.Engine;

/// <summary>What applying a rule table did to the listeners, and (on a reload) to the rules.</summary>
public sealed record ReloadSummary(int Opened, int Kept, int Closed)
{
    /// <summary>
    /// The comparison of the old and new table that the engine made to carry counters and limits
    /// over; null when there was no table before. Handed out so the caller does not compare the
    /// tables again, which costs time in proportion to the rules.
    /// </summary>
    public RuleTableChanges? Rules { get; init; }

    public override string ToString() => $"listeners: {Opened} opened, {Kept} kept, {Closed} closed";

    /// <summary>Equal when they say the same about the listeners; <see cref="Rules"/> is passed along, not compared.</summary>
    public bool Equals(ReloadSummary? other) =>
        other is not null && Opened == other.Opened && Kept == other.Kept && Closed == other.Closed;

    public override int GetHashCode() => HashCode.Combine(Opened, Kept, Closed);
}
