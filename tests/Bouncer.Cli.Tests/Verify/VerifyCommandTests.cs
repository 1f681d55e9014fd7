using System.Globalization;
using Bouncer.Cli.Tests.Support;
using Bouncer.Cli.Verify;
using Bouncer.Rules;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Verify;

public sealed class VerifyCommandTests
{
    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter _error = new(CultureInfo.InvariantCulture);

    [Fact]
    public void ErrorsAreAllPrintedGccStyleAndExitWithOne()
    {
        var result = new CompileResult(null,
        [
            new Diagnostic(Severity.Warning, new SourcePosition("bouncer.conf", 2, 1), "timeout.negotiate has no effect"),
            new Diagnostic(Severity.Error, new SourcePosition("bouncer.conf", 7, 31), "netmask not allowed on to: (it names one address to listen on)"),
            new Diagnostic(Severity.Error, new SourcePosition("bouncer.conf", 12, 1), "settings must come before the first rule (timeout.io)"),
        ]);

        Assert.Equal(1, Run(result));

        Assert.Equal(
            [
                "bouncer.conf:2:1: warning: timeout.negotiate has no effect",
                "bouncer.conf:7:31: error: netmask not allowed on to: (it names one address to listen on)",
                "bouncer.conf:12:1: error: settings must come before the first rule (timeout.io)",
                "bouncer: 2 errors, configuration not loaded",
            ],
            Lines(_error));
        Assert.Empty(_output.ToString());
    }

    [Fact]
    public void WarningsGoToStderrAndTheTableToStdoutWithExitZero()
    {
        var result = new CompileResult(
            TestRules.Table(TestRules.Pass(1)),
            [new Diagnostic(Severity.Warning, new SourcePosition("bouncer.conf", 3, 5), "'port: 80' read as 'port = 80'")]);

        Assert.Equal(0, Run(result));

        Assert.Equal(["bouncer.conf:3:5: warning: 'port: 80' read as 'port = 80'"], Lines(_error));
        Assert.StartsWith("# bouncer.conf: 1 rule, 1 listener\nsettings:\n", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("  tcp 192.0.2.10:80 -> rule 1\n", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnprivilegedUserTheHostLacksIsAWarningNotAnError()
    {
        var table = new RuleTable("bouncer.conf", Settings.Defaults with { Users = new UserSettings(null, "bouncer") }, [TestRules.Pass(1)]);

        Assert.Equal(0, Run(new CompileResult(table, [])));

        Assert.Equal(["bouncer: warning: user.unprivileged: no user 'bouncer' on this host; starting bouncer as root with this file will fail"], Lines(_error));
        Assert.Contains("  user.unprivileged: bouncer\n", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnprivilegedUserTheHostHasIsNotMentioned()
    {
        var table = new RuleTable("bouncer.conf", Settings.Defaults with { Users = new UserSettings(null, "nobody") }, [TestRules.Pass(1)]);

        Assert.Equal(0, Run(new CompileResult(table, [])));

        Assert.Empty(_error.ToString());
    }

    [Fact]
    public void CleanFilePrintsOnlyTheTable()
    {
        Assert.Equal(0, Run(new CompileResult(TestRules.Table(TestRules.Pass(1)), [])));

        Assert.Empty(_error.ToString());
        Assert.NotEmpty(_output.ToString());
    }

    [Fact]
    public void TheFileNamedIsTheFileLoaded()
    {
        string? loaded = null;
        new VerifyCommand(path => { loaded = path; return new CompileResult(TestRules.Table(), []); }, _output, _error).Run("/srv/x.conf");

        Assert.Equal("/srv/x.conf", loaded);
    }

    private static string[] Lines(StringWriter writer) => writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private int Run(CompileResult result) => new VerifyCommand(_ => result, _output, _error, new FakeCredentials()).Run("bouncer.conf");
}
