using System.Collections.Immutable;
using System.Net;
using System.Text;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Status;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Status;

public sealed class BouncerMetricsTests
{
    private static readonly Rule Pass = Rule.ImplicitBlock with
    {
        Number = 1,
        Verdict = Verdict.Pass,
        Protocols = Protocols.Tcp,
        To = new ListenSelector("127.0.0.5", [new ListenEndpoint(IPAddress.Parse("127.0.0.5"), 9000)]),
    };

    private static readonly (string, string)[] Labels = [("rule", "pass(1)"), ("protocol", "tcp"), ("listen", "127.0.0.5.9000")];

    private readonly BouncerMetrics _metrics = new(new LogDropCounter(), DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task CountersFollowTheEnginesAndNeverGoDown()
    {
        var first = await ScrapeAsync(Activity(Pass, sessions: 4, refused: 1));
        var second = await ScrapeAsync(Activity(Pass, sessions: 6, refused: 1));

        Assert.Equal(4, first["bouncer_sessions_total", Labels]);
        Assert.Equal(6, second["bouncer_sessions_total", Labels]);
        Assert.Equal(1, second["bouncer_refused_total", Labels]);
        Assert.Equal("counter", second.TypesByName["bouncer_sessions_total"]);
        Assert.Equal("gauge", second.TypesByName["bouncer_sessions_active"]);
        Assert.Equal("histogram", second.TypesByName["bouncer_reload_duration_seconds"]);
        Assert.True(second["process_resident_memory_bytes"] > 0);
        Assert.True(second["process_open_fds"] > 0);
    }

    [Fact]
    public async Task ARuleWhoseCountersStartedAgainStartsItsSeriesAgain()
    {
        await ScrapeAsync(Activity(Pass, sessions: 40, refused: 0));

        // A reload changed the rule (new counters) and kept its number and listener.
        var changed = Pass with { Target = new BounceTarget(IPAddress.Loopback, null, 80) };
        var after = await ScrapeAsync(Activity(changed, sessions: 2, refused: 0));

        Assert.Equal(2, after["bouncer_sessions_total", Labels]);
    }

    [Fact]
    public async Task ARuleGoneFromTheTableLeavesTheExposition()
    {
        await ScrapeAsync(Activity(Pass, sessions: 1, refused: 0));
        var other = Pass with { Number = 2 };

        var after = await ScrapeAsync(Activity(other, sessions: 0, refused: 0));

        Assert.False(after.Has("bouncer_sessions_total", Labels));
        Assert.True(after.Has("bouncer_sessions_total", ("rule", "pass(2)"), ("protocol", "tcp"), ("listen", "127.0.0.5.9000")));
    }

    [Fact]
    public async Task ReloadsAreCountedByResultWithTheirDuration()
    {
        _metrics.ReloadFinished(succeeded: true, TimeSpan.FromMilliseconds(30));
        _metrics.ReloadFinished(succeeded: false, TimeSpan.FromMilliseconds(3));

        var text = await ScrapeAsync(Activity(Pass, sessions: 0, refused: 0));

        Assert.Equal(1, text["bouncer_reloads_total", ("result", "ok")]);
        Assert.Equal(1, text["bouncer_reloads_total", ("result", "failed")]);
        Assert.Equal(2, text["bouncer_reload_duration_seconds_count"]);
        Assert.Equal(1, text["bouncer_reload_duration_seconds_bucket", ("le", "0.004")]);
    }

    private static RuleActivity Activity(Rule rule, long sessions, long refused) => new(rule, sessions, 0, refused, 0, 10, 20);

    private async Task<PrometheusText> ScrapeAsync(RuleActivity activity)
    {
        var state = new EngineState(null, 1, [activity], ImmutableArray<LiveSession>.Empty);
        using var body = new MemoryStream();
        await _metrics.WriteAsync(StatusSnapshot.Of(state), body, CancellationToken.None);
        return PrometheusText.Parse(Encoding.UTF8.GetString(body.ToArray()));
    }
}
