using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.CommandLine;

public sealed class BouncerCommandTests
{
    private readonly RecordingCommandLine _cli = new();

    [Fact]
    public async Task NoArgumentsRunsTheDaemonWithDefaults()
    {
        Assert.Equal(0, await _cli.RunAsync());

        Assert.Null(_cli.Verified);
        Assert.Equal(new DaemonOptions(), _cli.Ran);
        Assert.Equal("/etc/bouncer.conf", _cli.Ran!.ConfigPath);
        Assert.Equal(TimeSpan.FromSeconds(30), _cli.Ran.DrainTimeout);
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--config")]
    public async Task ConfigNamesTheRuleFile(string flag)
    {
        await _cli.RunAsync(flag, "/srv/rules.conf");

        Assert.Equal("/srv/rules.conf", _cli.Ran!.ConfigPath);
    }

    [Theory]
    [InlineData("-V")]
    [InlineData("--verify")]
    public async Task VerifyRunsTheCheckNotTheDaemon(string flag)
    {
        Assert.Equal(17, await _cli.RunAsync(flag, "-f", "x.conf"));

        Assert.Null(_cli.Ran);
        Assert.Equal("x.conf", _cli.Verified!.ConfigPath);
    }

    [Theory]
    [InlineData("-d", "2", 2)]
    [InlineData("--debug", "1", 1)]
    [InlineData("-d", "0", 0)]
    public async Task DebugLevel(string flag, string value, int expected)
    {
        await _cli.RunAsync(flag, value);

        Assert.Equal(expected, _cli.Ran!.Debug);
    }

    [Theory]
    [InlineData("-p")]
    [InlineData("--pidfile")]
    public async Task PidFile(string flag)
    {
        await _cli.RunAsync(flag, "/run/bouncer.pid");

        Assert.Equal("/run/bouncer.pid", _cli.Ran!.PidFile);
    }

    [Fact]
    public async Task EveryDaemonOption()
    {
        await _cli.RunAsync("-n", "--log", "/var/log/bouncer.log", "--log-format", "json", "--watch", "--drain-timeout", "5", "--max-udp-flows", "1000");

        Assert.True(_cli.Ran!.NoKeepAlive);
        Assert.Equal("/var/log/bouncer.log", _cli.Ran.LogFile);
        Assert.Equal(LogFormat.Json, _cli.Ran.LogFormat);
        Assert.True(_cli.Ran.Watch);
        Assert.Equal(TimeSpan.FromSeconds(5), _cli.Ran.DrainTimeout);
        Assert.Equal(1000, _cli.Ran.MaxUdpFlows);
    }

    [Fact]
    public async Task BarefootStyleBundledLetters()
    {
        await _cli.RunAsync("-Vn", "-f", "b.conf");

        Assert.Equal("b.conf", _cli.Verified!.ConfigPath);
        Assert.True(_cli.Verified.NoKeepAlive);
    }

    [Theory]
    [InlineData("-x")]
    [InlineData("--bogus")]
    [InlineData("-d", "3")]
    [InlineData("-d", "-1")]
    [InlineData("-d", "many")]
    [InlineData("-f")]
    [InlineData("--log-format", "xml")]
    [InlineData("--drain-timeout", "-5")]
    [InlineData("--max-udp-flows", "0")]
    [InlineData("stray-argument")]
    public async Task BadUsageExitsWithTwoAndExplains(params string[] args)
    {
        Assert.Equal(2, await _cli.RunAsync(args));

        Assert.Null(_cli.Ran);
        Assert.Null(_cli.Verified);
        Assert.StartsWith("bouncer: ", _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Contains("bouncer --help", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1:9100")]
    [InlineData("[::1]:9100", "[::1]:9100")]
    [InlineData("0.0.0.0:80", "0.0.0.0:80")]
    public async Task StatusTakesALiteralAddressAndPort(string value, string expected)
    {
        Assert.Equal(0, await _cli.RunAsync("--status", value));

        Assert.Equal(System.Net.IPEndPoint.Parse(expected), _cli.Ran!.Status);
    }

    [Theory]
    [InlineData("127.0.0.1", "has no port")]
    [InlineData("127.0.0.1:", "has no port")]
    [InlineData("localhost:9100", "'localhost' is not an IPv4 or IPv6 address")]
    [InlineData("10.1:9100", "'10.1' is not an IPv4 or IPv6 address")]
    [InlineData("::1:9100", "an IPv6 address goes in brackets")]
    [InlineData("127.0.0.1:0", "'0' is not a port 1-65535")]
    [InlineData("127.0.0.1:70000", "'70000' is not a port 1-65535")]
    [InlineData("127.0.0.1:http", "'http' is not a port 1-65535")]
    public async Task ABadStatusAddressIsAUsageErrorSayingWhatIsWrong(string value, string problem)
    {
        Assert.Equal(2, await _cli.RunAsync("--status", value));

        Assert.Null(_cli.Ran);
        Assert.Contains("--status must be ADDRESS:PORT", _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Contains(problem, _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoStatusOptionServesNoStatus()
    {
        await _cli.RunAsync();

        Assert.Null(_cli.Ran!.Status);
    }

    [Fact]
    public async Task DetachFlagIsAcceptedWithAnExplanation()
    {
        Assert.Equal(0, await _cli.RunAsync("-D"));

        Assert.NotNull(_cli.Ran);
        Assert.Contains(BouncerCommand.DetachNotice, _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Contains("foreground", BouncerCommand.DetachNotice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-N", "4")]
    [InlineData("-N")]
    public async Task ProcessCountIsAcceptedWithAnExplanation(params string[] args)
    {
        Assert.Equal(0, await _cli.RunAsync(args));

        Assert.NotNull(_cli.Ran);
        Assert.Contains(BouncerCommand.ProcessCountNotice, _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Contains("one process", BouncerCommand.ProcessCountNotice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("--version")]
    public async Task VersionPrintsTheVersionAndRunsNothing(string flag)
    {
        Assert.Equal(0, await _cli.RunAsync(flag));

        Assert.Null(_cli.Ran);
        Assert.Matches(@"^\d+\.\d+\.\d+", _cli.Output.ToString());
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public async Task HelpListsBarefootsLettersAndRunsNothing(string flag)
    {
        Assert.Equal(0, await _cli.RunAsync(flag));

        Assert.Null(_cli.Ran);
        var help = _cli.Output.ToString();
        foreach (var option in new[] { "-f, --config", "-d, --debug", "-V, --verify", "-p, --pidfile", "-n", "--log <FILE>", "--log-format", "--watch", "--drain-timeout", "--max-udp-flows", "-v, --version" })
        {
            Assert.Contains(option, help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnUnexpectedFailureIsAnInternalErrorNotAConfigurationError()
    {
        var command = new BouncerCommand(new BouncerActions(
            (_, _, _) => throw new InvalidOperationException("bug"),
            (_, _, _, _) => Task.FromResult(0)));

        Assert.Equal(70, await command.RunAsync(["-V"], _cli.Output, _cli.Error));
        Assert.Contains("internal error", _cli.Error.ToString(), StringComparison.Ordinal);
    }
}
