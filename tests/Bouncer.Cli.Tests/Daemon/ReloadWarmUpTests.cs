using System.Text;
using Bouncer.Cli.Daemon;
using Bouncer.Cli.Tests.Support;
using Bouncer.Rules;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Daemon;

public sealed class ReloadWarmUpTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task RunsEveryRoundOverTheRuleFile()
    {
        var path = _directory.File("rules.conf");
        await File.WriteAllTextAsync(path, OneLineRules(3));

        await using var warmUp = ReloadWarmUp.Start(path, Compile(OneLineRules(3)), TimeSpan.Zero);

        Assert.Equal(ReloadWarmUp.TotalPasses, await warmUp.Completed.WaitAsync(Generous));
        Assert.True(warmUp.Finished);
    }

    [Fact(Timeout = 60_000)]
    public async Task EndingItDuringTheDelayRunsNoPass()
    {
        var path = _directory.File("rules.conf");
        await File.WriteAllTextAsync(path, OneLineRules(3));

        var warmUp = ReloadWarmUp.Start(path, Compile(OneLineRules(3)), TimeSpan.FromHours(1));
        await warmUp.DisposeAsync().AsTask().WaitAsync(Generous);

        Assert.Equal(0, await warmUp.Completed);
        Assert.False(warmUp.Finished);
    }

    [Fact(Timeout = 60_000)]
    public async Task EndingItBetweenPassesStopsBeforeTheLast()
    {
        var path = _directory.File("rules.conf");
        await File.WriteAllTextAsync(path, OneLineRules(150));

        var warmUp = ReloadWarmUp.Start(path, Compile(OneLineRules(150)), TimeSpan.Zero);
        await Task.Delay(TimeSpan.FromMilliseconds(50));

        // The pauses between rounds alone take longer than this, so it cannot have finished.
        await warmUp.DisposeAsync().AsTask().WaitAsync(Generous);

        Assert.InRange(await warmUp.Completed, 0, ReloadWarmUp.TotalPasses - 1);
        Assert.False(warmUp.Finished);
    }

    [Fact(Timeout = 60_000)]
    public async Task AFileThatIsGoneRunsNoPass()
    {
        await using var warmUp = ReloadWarmUp.Start(_directory.File("gone.conf"), Compile(OneLineRules(3)), TimeSpan.Zero);

        Assert.Equal(0, await warmUp.Completed.WaitAsync(Generous));
    }

    [Fact]
    public void ThePassesCompileTheSettingsAndTheFirstHundredRules()
    {
        var text = "timeout.io: 77\n\n" + OneLineRules(150);

        var start = ReloadWarmUp.FirstRules(text, Compile(text));

        var table = Compile(start);
        Assert.Equal(ReloadWarmUp.RulesPerPass, table.Rules.Length);
        Assert.Equal(150, Compile(text).Rules.Length);
        Assert.StartsWith("timeout.io: 77\n", start, StringComparison.Ordinal);
        Assert.EndsWith("port = 1100 bounce to: 127.0.0.3 port = 9 }\n", start, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileShorterThanTheRunningTableIsCompiledWhole()
    {
        var text = OneLineRules(5);

        Assert.Same(text, ReloadWarmUp.FirstRules(text, Compile(OneLineRules(150))));
    }

    private static RuleTable Compile(string text)
    {
        var result = RuleFile.Parse(text, "rules.conf", OfflineNetworkEnvironment.Instance);
        return result.Table ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
    }

    /// <summary>Rule i listens on port 1000 + i.</summary>
    private static string OneLineRules(int count)
    {
        var text = new StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            text.Append("client pass { from: 0/0 to: 127.0.0.2 port = ").Append(1000 + i)
                .Append(" bounce to: 127.0.0.3 port = 9 }\n");
        }

        return text.ToString();
    }
}
