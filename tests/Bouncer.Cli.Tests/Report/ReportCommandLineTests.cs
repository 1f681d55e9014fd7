using System.Globalization;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Report;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Cli.Tests.Report;

/// <summary>The <c>report</c> subcommand's options, and that the root command's options still run the daemon and the check.</summary>
public sealed class ReportCommandLineTests
{
    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter _error = new(CultureInfo.InvariantCulture);
    private DaemonOptions? _verified;
    private DaemonOptions? _ran;

    [Fact]
    public async Task RootOptionsStillRunTheDaemon()
    {
        Assert.Equal(0, await RunAsync("-f", "report"));

        Assert.Equal("report", _ran!.ConfigPath);
        Assert.Null(_verified);
    }

    [Fact]
    public async Task RootCheckStillRuns()
    {
        Assert.Equal(17, await RunAsync("-V", "-f", "rules.conf"));

        Assert.Equal("rules.conf", _verified!.ConfigPath);
        Assert.Null(_ran);
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
        Assert.Equal(2, await RunAsync("report", option, value, "a.log"));

        Assert.Contains(message, _error.ToString(), StringComparison.Ordinal);
        Assert.Null(_ran);
    }

    [Fact]
    public async Task AtLeastOneFileIsNeeded()
    {
        Assert.Equal(2, await RunAsync("report"));
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

    private Task<int> RunAsync(params string[] args)
    {
        var command = new BouncerCommand(new BouncerActions(
            (options, _, _) =>
            {
                _verified = options;
                return 17;
            },
            (options, _, _, _) =>
            {
                _ran = options;
                return Task.FromResult(0);
            }));
        return command.RunAsync(args, _output, _error);
    }
}
