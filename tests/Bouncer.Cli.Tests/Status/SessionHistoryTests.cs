using System.Collections.Immutable;
using Bouncer.Cli.Status;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Status;

public sealed class SessionHistoryTests
{
    private static readonly Rule First = Rule.ImplicitBlock with { Number = 1, Verdict = Verdict.Pass };
    private static readonly Rule Second = Rule.ImplicitBlock with { Number = 2, Verdict = Verdict.Pass };

    [Fact]
    public void EachSampleClosesAMinuteWithTheSessionsStartedInIt()
    {
        var history = new SessionHistory();
        history.Sample([Activity(First, 10)]);
        history.Sample([Activity(First, 13)]);
        history.Sample([Activity(First, 13)]);
        history.Sample([Activity(First, 20)]);

        var points = history.PerMinute(Activity(First, 22));

        Assert.Equal(SessionHistory.Minutes, points.Length);
        Assert.Equal([3, 0, 7, 2], points[^4..]);
        Assert.All(points[..^4], p => Assert.Equal(0, p));
    }

    [Fact]
    public void TheRingKeepsTheLastHourOnly()
    {
        var history = new SessionHistory();
        long total = 0;
        history.Sample([Activity(First, total)]);
        for (var minute = 1; minute <= 100; minute++)
        {
            total += minute;
            history.Sample([Activity(First, total)]);
        }

        var points = history.PerMinute(Activity(First, total));

        // The 59 closed minutes are minutes 42..100; the minute in progress has had none yet.
        Assert.Equal(Enumerable.Range(42, 59).Select(m => (long)m), points[..^1]);
        Assert.Equal(0, points[^1]);
    }

    [Fact]
    public void ARuleGoneFromTheTableIsForgottenAndStartsAfreshWhenItComesBack()
    {
        var history = new SessionHistory();
        history.Sample([Activity(First, 5), Activity(Second, 1)]);
        history.Sample([Activity(First, 9), Activity(Second, 4)]);
        history.Sample([Activity(First, 9)]);

        Assert.All(history.PerMinute(Activity(Second, 4)), p => Assert.Equal(0, p));
        Assert.Equal(4, history.PerMinute(Activity(First, 9))[^3]);
    }

    [Fact]
    public void ACounterThatStartedAgainCountsFromZero()
    {
        var history = new SessionHistory();
        history.Sample([Activity(First, 50)]);

        // A reload changed the rule: its counters are new.
        history.Sample([Activity(First, 3)]);

        Assert.Equal(3, history.PerMinute(Activity(First, 3))[^2]);
    }

    private static RuleActivity Activity(Rule rule, long sessions) => new(rule, sessions, 0, 0, 0, 0, 0);
}
