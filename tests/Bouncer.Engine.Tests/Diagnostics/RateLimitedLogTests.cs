using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests.Diagnostics;

/// <summary>The rate-limited notices, on a clock the test steps: no sleeping.</summary>
public sealed class RateLimitedLogTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly RecordingLog _log = new();
    private readonly FakeTimeProvider _time = new();

    private RateLimitedLog Create() => new(_log, Interval, _time);

    [Fact]
    public void A_burst_followed_by_quiet_is_counted_once_the_interval_ends()
    {
        var warnings = Create();
        for (var i = 1; i <= 5; i++)
        {
            warnings.Warning("key", $"notice {i}");
        }

        Assert.Equal(["warning: notice 1"], _log.Lines);

        _time.Advance(TimeSpan.FromMilliseconds(9_999));
        warnings.Flush();
        Assert.Single(_log.Lines);

        // No new event: the interval's end alone brings out the latest notice and how many more there were.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        warnings.Flush();
        Assert.Equal(["warning: notice 1", "warning: notice 5 (3 more since the last notice)"], _log.Lines);

        // Reported once: nothing new, nothing more.
        _time.Advance(TimeSpan.FromMilliseconds(60_000));
        warnings.Flush();
        Assert.Equal(2, _log.Lines.Count);
    }

    [Fact]
    public void A_steady_flood_gives_one_line_per_interval()
    {
        var warnings = Create();
        for (var second = 0; second < 30; second++)
        {
            for (var i = 0; i < 10; i++)
            {
                warnings.Warning("key", "full");
            }

            warnings.Flush();
            _time.Advance(TimeSpan.FromMilliseconds(1_000));
        }

        warnings.Flush();

        // 300 notices in 30 s: at 0, 10 and 20 s a new one is written with the count before it;
        // at 30 s the flush writes the last of the quiet tail. Every notice is shown or counted.
        Assert.Equal(
            ["warning: full", "warning: full (99 more since the last notice)", "warning: full (99 more since the last notice)", "warning: full (98 more since the last notice)"],
            _log.Lines);
    }

    [Fact]
    public void A_single_left_out_notice_is_written_without_a_count()
    {
        var warnings = Create();
        warnings.Warning("key", "first");
        warnings.Warning("key", "second");
        _time.Advance(TimeSpan.FromMilliseconds(10_000));
        warnings.Flush();

        Assert.Equal(["warning: first", "warning: second"], _log.Lines);
    }

    [Fact]
    public void Keys_are_counted_apart()
    {
        var warnings = Create();
        warnings.Warning("a", "a");
        warnings.Warning("a", "a");
        warnings.Warning("a", "a");
        warnings.Warning("b", "b");
        _time.Advance(TimeSpan.FromMilliseconds(10_000));
        warnings.Flush();

        Assert.Equal(["warning: a", "warning: b", "warning: a (1 more since the last notice)"], _log.Lines);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_flush_loop_writes_what_was_left_out_once_the_interval_has_ended()
    {
        var warnings = Create();
        using var stop = new CancellationTokenSource();
        var loop = warnings.RunAsync(TimeSpan.FromMinutes(1), stop.Token);
        warnings.Warning("key", "notice 1");
        warnings.Warning("key", "notice 2");
        warnings.Warning("key", "notice 3");

        // A minute on the log's clock: the loop's timer runs on it too, so the flush comes at once.
        _time.Advance(TimeSpan.FromMinutes(1));
        await _log.WaitForLinesAsync(2, TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(["warning: notice 1", "warning: notice 3 (1 more since the last notice)"], _log.Lines);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_flush_loop_stops_when_cancelled_and_writes_what_was_left_out()
    {
        var warnings = Create();
        using var stop = new CancellationTokenSource();
        var loop = warnings.RunAsync(TimeSpan.FromHours(1), stop.Token);
        warnings.Warning("key", "notice 1");
        warnings.Warning("key", "notice 2");
        warnings.Warning("key", "notice 3");
        await stop.CancelAsync();

        await loop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(loop.IsCompletedSuccessfully);
        Assert.Equal(["warning: notice 1", "warning: notice 3 (1 more since the last notice)"], _log.Lines);
    }
}
