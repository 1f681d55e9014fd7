using System.Net;
using Bouncer.Rules.Comparison;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests.Comparison;

/// <summary>How a reload's summary line counts rules: by identity (protocols, from:, to:) and content, never by number.</summary>
public sealed class RuleTableChangesTests
{
    [Fact]
    public void RenumberedRulesAreUnchangedAndOtherTargetsAreChanges()
    {
        var first = Pass(1, listen: "192.0.2.10");
        var second = Pass(2, listen: "192.0.2.11");
        var gone = Pass(3, listen: "192.0.2.12");
        var inserted = Pass(1, listen: "192.0.2.13");
        var moved = first with { Number = 2, Position = new SourcePosition("bouncer.conf", 40, 3) };
        var retargeted = second with { Number = 3, Target = new BounceTarget(IPAddress.Parse("10.1.1.11"), null, 8080) };

        var changes = RuleTableChanges.Compare(Table(first, second, gone), Table(inserted, moved, retargeted));

        Assert.Same(inserted, Assert.Single(changes.Added));
        Assert.Same(gone, Assert.Single(changes.Removed));
        var (before, after) = Assert.Single(changes.Changed);
        Assert.Same(second, before);
        Assert.Same(retargeted, after);
        (before, after) = Assert.Single(changes.Unchanged);
        Assert.Same(first, before);
        Assert.Same(moved, after);
        Assert.Equal("1 added, 1 removed, 1 changed, 1 unchanged", changes.ToString());
    }

    [Fact]
    public void EqualContentInFreshArraysIsTheSameRule()
    {
        var rule = Pass(1);
        var rebuilt = rule with
        {
            To = new ListenSelector(rule.To.Text, [new ListenEndpoint(IPAddress.Parse("192.0.2.10"), 80)]),
            SocketOptions = [],
        };

        Assert.True(RuleContent.SameContent(rule, rebuilt));
        Assert.False(RuleContent.SameContent(rule, rule with { Verdict = Verdict.Block }));
        Assert.True(RuleContent.SameIdentity(rule, rule with { Verdict = Verdict.Block }));
        Assert.False(RuleContent.SameIdentity(rule, rule with { Protocols = Protocols.Both }));
    }

    [Fact]
    public void DuplicateIdentitiesPairInOrder()
    {
        var a = Pass(1);
        var b = Pass(2) with { Limits = new SessionLimits(5, null, null, null) };

        var changes = RuleTableChanges.Compare(Table(a, b), Table(b with { Number = 1 }));

        Assert.Same(a, Assert.Single(changes.Removed));
        Assert.Same(b, Assert.Single(changes.Unchanged).Before);
        Assert.Empty(changes.Changed);
    }

    /// <summary>A tcp pass rule from 198.51.100.0/24 on <paramref name="listen"/> port 80 to 10.1.1.10 port 8080.</summary>
    private static Rule Pass(int number, string listen = "192.0.2.10") => Rule.ImplicitBlock with
    {
        Number = number,
        Verdict = Verdict.Pass,
        Protocols = Protocols.Tcp,
        From = new ClientSelector(new NetworkPattern(IPAddress.Parse("198.51.100.0"), 24), PortMatch.Any),
        To = new ListenSelector($"{listen} port = 80", [new ListenEndpoint(IPAddress.Parse(listen), 80)]),
        Target = new BounceTarget(IPAddress.Parse("10.1.1.10"), null, 8080),
        Position = new SourcePosition("bouncer.conf", number * 5, 1),
    };

    private static RuleTable Table(params Rule[] rules) => new("bouncer.conf", Settings.Defaults, [.. rules]);
}
