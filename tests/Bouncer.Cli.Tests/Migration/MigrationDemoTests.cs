using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Migration;

/// <summary>
/// samples/migration/run-demo.sh with short phases: the whole site move in network namespaces,
/// with the bouncer built for these tests. No request may fail outside the move window, and
/// <c>bouncer report</c> over the transition host's log must count what went through it.
/// </summary>
public sealed partial class MigrationDemoTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _tag = $"bt{Environment.ProcessId}";

    public void Dispose()
    {
        NetworkNamespaces.RemoveAll(_tag + "-");
        _directory.Dispose();
    }

    [NetworkNamespaceFact(Timeout = 120_000)]
    public async Task TheMoveLosesNothingOutsideTheWindowAndTheReportCountsWhatWentThroughBouncer()
    {
        var output = await RunDemoAsync();

        var final = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("migration: ", StringComparison.Ordinal));
        Assert.True(final is not null, output);
        var summary = FinalLine().Match(final);
        Assert.True(summary.Success, final);
        Assert.True(int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) >= 200, final);
        Assert.True(summary.Groups[2].Value == "0", output);
        Assert.Empty(NetworkNamespaces.List(_tag + "-"));

        var window = InsideWindow().Match(output);
        Assert.True(window.Success, output);
        var (status, stdout, stderr) = await BouncerProcess.RunAsync("report", "--format", "json", _directory.File("transition/bouncer.log"));
        Assert.True(status == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal(0, report.RootElement.GetProperty("skipped_lines").GetInt64());
        foreach (var (protocol, group) in new[] { ("tcp", 1), ("udp", 2) })
        {
            var through = ThroughTransition(output, protocol);
            var rule = Assert.Single(report.RootElement.GetProperty("rules").EnumerateArray(), r => r.GetProperty("protocol").GetString() == protocol);
            var sessions = rule.GetProperty("sessions").GetInt64();
            var failedInWindow = int.Parse(window.Groups[group].Value, CultureInfo.InvariantCulture);

            // Every answered request to the new address went through Bouncer; one that failed in the
            // move window may have reached it too. Outside the window the counts are equal.
            Assert.True(through.Requests > 0, output);
            Assert.InRange(sessions, through.Requests, through.Requests + failedInWindow);
            Assert.InRange(rule.GetProperty("bytes_from_clients").GetInt64(), through.Bytes, through.Bytes + (failedInWindow * 64));
            Assert.Equal(0, rule.GetProperty("open").GetInt64());
            Assert.Equal(5, rule.GetProperty("clients").GetInt64());
        }
    }

    private static (long Requests, long Bytes) ThroughTransition(string output, string protocol)
    {
        var match = Regex.Match(output, $@"through the transition host: {protocol} (\d+) requests, (\d+) bytes from clients");
        Assert.True(match.Success, output);
        return (long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private Task<string> RunDemoAsync() => DemoScript.RunAsync(
        "migration/run-demo.sh",
        new Dictionary<string, string> { ["PHASE_SECONDS"] = "2", ["WORK_DIR"] = _directory.Path, ["NETNS_TAG"] = _tag });

    [GeneratedRegex(@"^migration: (\d+) requests, (\d+) failed outside the move window$")]
    private static partial Regex FinalLine();

    [GeneratedRegex(@"move window: \d+ ms, \d+ requests failed inside it \(tcp (\d+), udp (\d+)\)")]
    private static partial Regex InsideWindow();
}
