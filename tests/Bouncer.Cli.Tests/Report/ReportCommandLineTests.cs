using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Tests.Support;
using Bouncer.Cli.Report;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Cli.Tests.Report;

/// <summary>The <c>report</c> subcommand's options, and that the root command's options still run the daemon and the check.</summary>
public sealed class ReportCommandLineTests
{
    private readonly RecordingCommandLine _cli = new();

    [Fact]
    public async Task RootOptionsStillRunTheDaemon()
    {
        Assert.Equal(0, await _cli.RunAsync("-f", "report"));

        Assert.Equal("report", _cli.Ran!.ConfigPath);
        Assert.Null(_cli.Verified);
    }

    [Fact]
    public async Task RootCheckStillRuns()
    {
        Assert.Equal(17, await _cli.RunAsync("-V", "-f", "rules.conf"));

        Assert.Equal("rules.conf", _cli.Verified!.ConfigPath);
        Assert.Null(_cli.Ran);
    }

    [Fact]
    public void OptionsAreReadIntoReportOptions()
    {
        var line = new ReportCommandLine(TimeProvider.System);
        var result = line.Command.Parse(["--format", "json", "--since", "2025-11-22T14:00:00Z", "--until", "2025-11-22 15:00:00+01:00", "--interval", "1h30m", "--follow", "--refresh", "5s", "a.log", "-", "b.log.1.gz"]);

        Assert.Empty(result.Errors);
        var options = line.ToOptions(result);
        Assert.Equal(["a.log", "-", "b.log.1.gz"], options.Files);
        Assert.Equal(ReportFormat.Json, options.Format);
        Assert.Equal(new DateTime(2025, 11, 22, 14, 0, 0, DateTimeKind.Utc).Ticks, options.SinceTicks);
        Assert.Equal(new DateTime(2025, 11, 22, 14, 0, 0, DateTimeKind.Utc).Ticks, options.UntilTicks);
        Assert.Equal(TimeSpan.FromMinutes(90), options.Interval);
        Assert.True(options.Follow);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Refresh);
    }

    [Fact]
    public void ASpanAgoIsATime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var line = new ReportCommandLine(time);
        var before = time.GetUtcNow().UtcTicks;

        var since = line.ToOptions(line.Command.Parse(["--since", "2h", "a.log"])).SinceTicks!.Value;

        Assert.InRange(since, before - TimeSpan.FromHours(2).Ticks - TimeSpan.FromMinutes(1).Ticks, time.GetUtcNow().UtcTicks - TimeSpan.FromHours(2).Ticks);
    }

    [Theory]
    [InlineData("--interval", "0s", "--interval takes a span such as 30s, 10m, 1h or 1d, not '0s'.")]
    [InlineData("--interval", "10x", "--interval takes a span such as 30s, 10m, 1h or 1d, not '10x'.")]
    [InlineData("--since", "tuesday", "--since takes a time such as 2025-11-22T14:00:00Z, 2025-11-22 or 2h (two hours ago), not 'tuesday'.")]
    [InlineData("--format", "xml", "Cannot parse argument 'xml'")]
    public async Task BadValuesAreUsageErrors(string option, string value, string message)
    {
        Assert.Equal(2, await _cli.RunAsync("report", option, value, "a.log"));

        Assert.Contains(message, _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Null(_cli.Ran);
    }

    [Fact]
    public async Task AtLeastOneFileIsNeeded()
    {
        Assert.Equal(2, await _cli.RunAsync("report"));
    }

    [Theory]
    [InlineData("1d", 86400)]
    [InlineData("90", 90)]
    [InlineData("1h30m", 5400)]
    [InlineData("0.5s", 0.5)]
    [InlineData("2w", 1209600)]
    [InlineData("200ms", 0.2)]
    public void Spans(string text, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ReportTime.ParseSpan(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("1h30")]
    [InlineData("-5m")]
    public void NotSpans(string text)
    {
        Assert.Null(ReportTime.ParseSpan(text));
    }
}
