using System.Globalization;
using Bouncer.Cli.CommandLine;

namespace Bouncer.Cli.Tests.CommandLine;

public sealed class BouncerCommandTests
{
    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter _error = new(CultureInfo.InvariantCulture);
    private DaemonOptions? _verified;
    private DaemonOptions? _ran;

    [Fact]
    public async Task NoArgumentsRunsTheDaemonWithDefaults()
    {
        Assert.Equal(0, await RunAsync());

        Assert.Null(_verified);
        Assert.Equal(new DaemonOptions(), _ran);
        Assert.Equal("/etc/bouncer.conf", _ran!.ConfigPath);
        Assert.Equal(TimeSpan.FromSeconds(30), _ran.DrainTimeout);
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--config")]
    public async Task ConfigNamesTheRuleFile(string flag)
    {
        await RunAsync(flag, "/srv/rules.conf");

        Assert.Equal("/srv/rules.conf", _ran!.ConfigPath);
    }

    [Theory]
    [InlineData("-V")]
    [InlineData("--verify")]
    public async Task VerifyRunsTheCheckNotTheDaemon(string flag)
    {
        Assert.Equal(17, await RunAsync(flag, "-f", "x.conf"));

        Assert.Null(_ran);
        Assert.Equal("x.conf", _verified!.ConfigPath);
    }

    [Theory]
    [InlineData("-d", "2", 2)]
    [InlineData("--debug", "1", 1)]
    [InlineData("-d", "0", 0)]
    public async Task DebugLevel(string flag, string value, int expected)
    {
        await RunAsync(flag, value);

        Assert.Equal(expected, _ran!.Debug);
    }

    [Theory]
    [InlineData("-p")]
    [InlineData("--pidfile")]
    public async Task PidFile(string flag)
    {
        await RunAsync(flag, "/run/bouncer.pid");

        Assert.Equal("/run/bouncer.pid", _ran!.PidFile);
    }

    [Fact]
    public async Task EveryDaemonOption()
    {
        await RunAsync("-n", "--log", "/var/log/bouncer.log", "--log-format", "json", "--watch", "--drain-timeout", "5", "--max-udp-flows", "1000");

        Assert.True(_ran!.NoKeepAlive);
        Assert.Equal("/var/log/bouncer.log", _ran.LogFile);
        Assert.Equal(LogFormat.Json, _ran.LogFormat);
        Assert.True(_ran.Watch);
        Assert.Equal(TimeSpan.FromSeconds(5), _ran.DrainTimeout);
        Assert.Equal(1000, _ran.MaxUdpFlows);
    }

    [Fact]
    public async Task BarefootStyleBundledLetters()
    {
        await RunAsync("-Vn", "-f", "b.conf");

        Assert.Equal("b.conf", _verified!.ConfigPath);
        Assert.True(_verified.NoKeepAlive);
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
        Assert.Equal(2, await RunAsync(args));

        Assert.Null(_ran);
        Assert.Null(_verified);
        Assert.StartsWith("bouncer: ", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("bouncer --help", _error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1:9100")]
    [InlineData("[::1]:9100", "[::1]:9100")]
    [InlineData("0.0.0.0:80", "0.0.0.0:80")]
    public async Task StatusTakesALiteralAddressAndPort(string value, string expected)
    {
        Assert.Equal(0, await RunAsync("--status", value));

        Assert.Equal(System.Net.IPEndPoint.Parse(expected), _ran!.Status);
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
        Assert.Equal(2, await RunAsync("--status", value));

        Assert.Null(_ran);
        Assert.Contains("--status must be ADDRESS:PORT", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains(problem, _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoStatusOptionServesNoStatus()
    {
        await RunAsync();

        Assert.Null(_ran!.Status);
    }

    [Fact]
    public async Task DetachFlagIsAcceptedWithAnExplanation()
    {
        Assert.Equal(0, await RunAsync("-D"));

        Assert.NotNull(_ran);
        Assert.Contains(BouncerCommand.DetachNotice, _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("foreground", BouncerCommand.DetachNotice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-N", "4")]
    [InlineData("-N")]
    public async Task ProcessCountIsAcceptedWithAnExplanation(params string[] args)
    {
        Assert.Equal(0, await RunAsync(args));

        Assert.NotNull(_ran);
        Assert.Contains(BouncerCommand.ProcessCountNotice, _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("one process", BouncerCommand.ProcessCountNotice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("--version")]
    public async Task VersionPrintsTheVersionAndRunsNothing(string flag)
    {
        Assert.Equal(0, await RunAsync(flag));

        Assert.Null(_ran);
        Assert.Matches(@"^\d+\.\d+\.\d+", _output.ToString());
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public async Task HelpListsBarefootsLettersAndRunsNothing(string flag)
    {
        Assert.Equal(0, await RunAsync(flag));

        Assert.Null(_ran);
        var help = _output.ToString();
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

        Assert.Equal(70, await command.RunAsync(["-V"], _output, _error));
        Assert.Contains("internal error", _error.ToString(), StringComparison.Ordinal);
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
