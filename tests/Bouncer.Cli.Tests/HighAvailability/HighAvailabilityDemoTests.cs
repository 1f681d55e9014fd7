using System.Globalization;
using System.Text.RegularExpressions;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.HighAvailability;

/// <summary>
/// samples/ha/run-demo.sh with the bouncer built for these tests: two Bouncer hosts and keepalived
/// in network namespaces, clients on the virtual address the whole time, the master failed by
/// SIGKILL and then by link down. Each failover's client-visible gap must stay under 3 s and no
/// request may fail outside the gaps.
/// </summary>
/// <remarks>
/// In the "Process" category, so CI runs it once more with the native binary (BOUNCER_EXECUTABLE),
/// the form keepalived's check starts every second in production.
/// </remarks>
[Collection(nameof(HighAvailabilityDemo))]
[Trait("Category", "Process")]
public sealed partial class HighAvailabilityDemoTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _tag = $"bh{Environment.ProcessId}";

    public void Dispose()
    {
        NetworkNamespaces.RemoveAll(_tag + "-");
        _directory.Dispose();
    }

    [KeepalivedFact(Timeout = 120_000)]
    public async Task EachFailoverIsUnderThreeSecondsAndNothingFailsOutsideTheGaps()
    {
        var output = await RunDemoAsync();

        var gaps = FailoverGap().Matches(output);
        Assert.True(gaps.Count == 2, output);
        foreach (Match gap in gaps)
        {
            Assert.True(int.Parse(gap.Groups[2].Value, CultureInfo.InvariantCulture) < 3000, $"{gap.Value}\n{output}");
        }

        Assert.Matches(@"failback bouncer-restarted: client-visible gap \d+ ms", output);
        var final = output.Split('\n').LastOrDefault(l => l.StartsWith("failover: ", StringComparison.Ordinal));
        Assert.True(final is not null, output);
        var summary = FinalLine().Match(final);
        Assert.True(summary.Success, final);
        Assert.True(int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) < 3000, output);
        Assert.True(summary.Groups[2].Value == "0", output);

        // Both hosts served: a before the first failover and after the fail-back, b in between and at the end.
        var answered = Answered().Match(output);
        Assert.True(answered.Success, output);
        Assert.True(int.Parse(answered.Groups[1].Value, CultureInfo.InvariantCulture) > 0, output);
        Assert.True(int.Parse(answered.Groups[2].Value, CultureInfo.InvariantCulture) > 0, output);
        Assert.Empty(NetworkNamespaces.List(_tag + "-"));
    }

    private Task<string> RunDemoAsync() => DemoScript.RunAsync(
        "ha/run-demo.sh",
        new Dictionary<string, string> { ["SETTLE_SECONDS"] = "2", ["WORK_DIR"] = _directory.Path, ["NETNS_TAG"] = _tag });

    [GeneratedRegex(@"^failover (\S+): client-visible gap (\d+) ms", RegexOptions.Multiline)]
    private static partial Regex FailoverGap();

    [GeneratedRegex(@"^failover: longest gap (\d+) ms over 2 failovers, (\d+) requests failed outside the gaps$")]
    private static partial Regex FinalLine();

    [GeneratedRegex(@"answered \((\d+) by a, (\d+) by b\)")]
    private static partial Regex Answered();
}

/// <summary>
/// Runs the demo alone: two of them at once, or one beside the site-move demo, would share the
/// machine's two cores with keepalived's quarter-second adverts and the clients' half-second timeouts.
/// </summary>
[CollectionDefinition(nameof(HighAvailabilityDemo), DisableParallelization = true)]
public sealed class HighAvailabilityDemo;
