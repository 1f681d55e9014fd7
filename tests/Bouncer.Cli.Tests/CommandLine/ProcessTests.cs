using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.CommandLine;

/// <summary>The real executable, as an operator or systemd starts it.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class ProcessTests
{
    [Fact(Timeout = 60_000)]
    public async Task HelpExitsZeroWithUsageOnStdout()
    {
        var (code, stdout, stderr) = await BouncerProcess.RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Contains("-f, --config <FILE>", stdout, StringComparison.Ordinal);
        Assert.Empty(stderr);
    }

    [Fact(Timeout = 60_000)]
    public async Task VersionExitsZero()
    {
        var (code, stdout, _) = await BouncerProcess.RunAsync("-v");

        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownOptionExitsTwo()
    {
        var (code, stdout, stderr) = await BouncerProcess.RunAsync("--frobnicate");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains("--frobnicate", stderr, StringComparison.Ordinal);
    }
}
