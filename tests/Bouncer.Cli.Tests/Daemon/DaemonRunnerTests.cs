using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Daemon;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine;
using Bouncer.Engine.Events;
using Bouncer.Engine.State;
using Bouncer.Rules;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Model;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Cli.Tests.Daemon;

public sealed class DaemonRunnerTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly StringWriter _stdout = new(CultureInfo.InvariantCulture);
    private readonly SynchronizedStringWriter _stderr = new();
    private readonly FakeEngine _engine = new();
    private readonly FakeTimeProvider _time = new();
    private FakeCredentials _credentials = new();
    private CompileResult _rules = new(TestRules.Table(TestRules.Pass(1, log: LogEvents.Connect)), []);
    private int _loads;

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 20_000)]
    public async Task ServesUntilStoppedThenDrainsAndRemovesThePidFile()
    {
        var pidPath = _directory.File("bouncer.pid");
        var runner = Runner(new DaemonOptions { PidFile = pidPath, DrainTimeout = TimeSpan.FromSeconds(7) });

        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);

        Assert.Equal("4242\n", await File.ReadAllTextAsync(pidPath));
        Assert.Same(_rules.Table, _engine.StartedWith);
        Assert.Null(_engine.DrainTimeout);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));
        Assert.Equal(TimeSpan.FromSeconds(7), _engine.DrainTimeout);
        Assert.True(_engine.Disposed);
        Assert.False(File.Exists(pidPath));
        Assert.Contains("info: bouncer ", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("started: 1 rule, 1 listener from bouncer.conf", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("info: stopped", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task CancellationStopsLikeSigterm()
    {
        using var cancellation = new CancellationTokenSource();
        var runner = Runner(new DaemonOptions());

        var run = runner.RunAsync(cancellation.Token);
        await runner.Started.WaitAsync(Generous);
        await cancellation.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(Generous));
        Assert.Equal(TimeSpan.FromSeconds(30), _engine.DrainTimeout);
    }

    [Fact(Timeout = 20_000)]
    public async Task ConfigurationErrorsExitWithOneBeforeAnythingIsBound()
    {
        _rules = new CompileResult(null, [new Diagnostic(Severity.Error, new SourcePosition("bouncer.conf", 3, 9), "unknown log event 'everything'")]);
        var pidPath = _directory.File("bouncer.pid");

        var code = await Runner(new DaemonOptions { PidFile = pidPath }).RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(1, code);
        Assert.StartsWith("bouncer.conf:3:9: error: unknown log event 'everything'\n", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, _engine.Created);
        Assert.False(File.Exists(pidPath));
    }

    [Fact(Timeout = 20_000)]
    public async Task BindFailureIsOneLineOnStderrAndExitOne()
    {
        _engine.BindFailure = new ListenerBindException("rule 1: cannot bind tcp 127.0.0.2:80: Address already in use");
        var pidPath = _directory.File("bouncer.pid");

        var code = await Runner(new DaemonOptions { PidFile = pidPath }).RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(1, code);
        Assert.Contains("\nbouncer: rule 1: cannot bind tcp 127.0.0.2:80: Address already in use\n", "\n" + _stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(pidPath));
        Assert.True(_engine.Disposed);
    }

    [Fact(Timeout = 20_000)]
    public async Task UnwritablePidFileStopsTheEngineAndExitsThree()
    {
        var code = await Runner(new DaemonOptions { PidFile = _directory.File("no/such/dir/bouncer.pid") })
            .RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(3, code);
        Assert.Contains("bouncer: cannot write pid file:", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, _engine.DrainTimeout);
    }

    [Fact(Timeout = 20_000)]
    public async Task UnwritableLogFileExitsThree()
    {
        var blocker = _directory.File("file");
        await File.WriteAllTextAsync(blocker, "x");

        var code = await Runner(new DaemonOptions { LogFile = Path.Combine(blocker, "bouncer.log") })
            .RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(3, code);
        Assert.Equal(0, _engine.Created);
    }

    [Fact(Timeout = 20_000)]
    public async Task CommandLineReachesTheEngineOptions()
    {
        var runner = Runner(new DaemonOptions { NoKeepAlive = true, MaxUdpFlows = 77, Debug = 2 });

        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        await run.WaitAsync(Generous);

        Assert.False(_engine.Options!.KeepAlive);
        Assert.Equal(77, _engine.Options.MaxUdpFlows);
        Assert.Equal(2, _engine.Options.Debug);
        Assert.Same(_time, _engine.Options.Time);
    }

    [Fact(Timeout = 20_000)]
    public async Task SessionEventsFromTheEngineReachTheLogFile()
    {
        var logPath = _directory.File("bouncer.log");
        var runner = Runner(new DaemonOptions { LogFile = logPath, LogFormat = LogFormat.Text });

        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        _engine.Events!.Publish(SessionEvents.Opened(_rules.Table!.Rules[0]));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        await run.WaitAsync(Generous);

        var text = await File.ReadAllTextAsync(logPath);
        Assert.Contains(": info: pass(1): tcp/connect [: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080\n", text, StringComparison.Ordinal);
        Assert.Empty(_stderr.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task ReloadWithErrorsLogsEveryDiagnosticAndKeepsServing()
    {
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        _rules = new CompileResult(null,
        [
            new Diagnostic(Severity.Error, new SourcePosition("bouncer.conf", 7, 31), "netmask not allowed on to:"),
            new Diagnostic(Severity.Warning, new SourcePosition("bouncer.conf", 2, 1), "timeout.negotiate has no effect"),
        ]);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("running configuration is unchanged", StringComparison.Ordinal));

        Assert.False(run.IsCompleted);

        // The start, then one reload for the burst, or two when the loop woke between the writes.
        Assert.InRange(_loads, 2, 3);
        var text = _stderr.ToString();
        Assert.Contains("error: bouncer.conf:7:31: error: netmask not allowed on to:\n", text, StringComparison.Ordinal);
        Assert.Contains("warning: bouncer.conf:2:1: warning: timeout.negotiate has no effect\n", text, StringComparison.Ordinal);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));
        Assert.Null(_engine.SecondStart);
    }

    [Fact(Timeout = 20_000)]
    public async Task ValidReloadAppliesTheNewTableAndLogsOneSummaryLine()
    {
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        var kept = _rules.Table!.Rules[0] with { Number = 2, Position = new SourcePosition("bouncer.conf", 9, 1) };
        var added = TestRules.Pass(1, listen: "192.0.2.11");
        var next = TestRules.Table(added, kept);
        _rules = new CompileResult(next, []);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("reloaded bouncer.conf", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.DumpState);
        await WaitUntilAsync(() => _stderr.ToString().Contains("state: uptime", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        // Two requests in a burst: one reload, or two when the second arrived after the first had
        // started (a request during a reload causes exactly one more); never more, never another table.
        Assert.InRange(_engine.Reloads.Count, 1, 2);
        Assert.All(_engine.Reloads, table => Assert.Same(next, table));
        Assert.Matches(
            @"info: reloaded bouncer\.conf in \d+\.\d ms: rules: 1 added, 0 removed, 0 changed, 1 unchanged; listeners: 0 opened, 2 kept, 0 closed; log files reopened\n",
            _stderr.ToString());
        Assert.Contains("2 rules, 2 listeners", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task AReloadCountsItsTimeFromTheRequestNotFromWhenTheLoopGetsToIt()
    {
        using var firstReloadReading = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var runner = Runner(new DaemonOptions(), loadRules: _ =>
        {
            if (Interlocked.Increment(ref _loads) == 2)
            {
                firstReloadReading.Release();
                release.Wait(Generous);
            }

            return _rules;
        });
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        Assert.True(await firstReloadReading.WaitAsync(Generous));
        runner.Commands.TryWrite(DaemonCommand.Reload);
        _time.Advance(TimeSpan.FromMilliseconds(400));
        release.Release();
        await WaitUntilAsync(() => ReloadTimes().Count == 2);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        // The second request waited 400 ms (on the daemon's clock) behind the first reload; that wait is part of its time.
        Assert.All(ReloadTimes(), took => Assert.True(took >= 350, $"{took} ms"));
    }

    [Fact(Timeout = 20_000)]
    public async Task ABadFileBetweenTwoGoodOnesKeepsTheFirstAndTheNextGoodOneApplies()
    {
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        var first = TestRules.Table(TestRules.Pass(1, listen: "192.0.2.11"));
        var second = TestRules.Table(TestRules.Pass(1, listen: "192.0.2.12"));

        _rules = new CompileResult(first, []);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _engine.Reloads.Count == 1);
        _rules = new CompileResult(null, [new Diagnostic(Severity.Error, new SourcePosition("bouncer.conf", 3, 1), "unknown keyword")]);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("running configuration is unchanged", StringComparison.Ordinal));
        _rules = new CompileResult(second, []);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _engine.Reloads.Count == 2);
        runner.Commands.TryWrite(DaemonCommand.Stop);

        Assert.Equal(0, await run.WaitAsync(Generous));
        Assert.Collection(_engine.Reloads, table => Assert.Same(first, table), table => Assert.Same(second, table));
        Assert.Equal(2, ReloadTimes().Count);
        Assert.Contains("error: reload of bouncer.conf failed after", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task ReloadThatCannotBindKeepsTheRunningTable()
    {
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        _engine.ReloadFailure = new ListenerBindException("pass(1) at bouncer.conf:5: cannot listen on tcp 192.0.2.11:80: address already in use");
        _rules = new CompileResult(TestRules.Table(TestRules.Pass(1, listen: "192.0.2.11")), []);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("reload of", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.DumpState);
        await WaitUntilAsync(() => _stderr.ToString().Contains("state: uptime", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        Assert.Matches(
            @"error: reload of bouncer\.conf failed after \d+\.\d ms: pass\(1\) at bouncer\.conf:5: cannot listen on tcp 192\.0\.2\.11:80: address already in use; the running configuration is unchanged; log files reopened\n",
            _stderr.ToString());
        Assert.Matches(@"state: uptime \d+s, 1 rule, 1 listener,", _stderr.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task AnUnknownUnprivilegedUserFailsTheStartAsRootBeforeAnythingIsOpened()
    {
        _credentials = new FakeCredentials(userId: 0);
        _rules = new CompileResult(WithUser("bouncer", TestRules.Pass(1)), []);
        var pidPath = _directory.File("bouncer.pid");
        var logPath = _directory.File("bouncer.log");

        var code = await Runner(new DaemonOptions { PidFile = pidPath, LogFile = logPath }).RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(1, code);
        Assert.Equal("bouncer: user.unprivileged: no user 'bouncer' on this host; refusing to start as root\n", _stderr.ToString());
        Assert.Equal(0, _engine.Created);
        Assert.False(File.Exists(pidPath));
        Assert.False(File.Exists(logPath));
    }

    [Fact(Timeout = 20_000)]
    public async Task AsRootTheDaemonDropsAfterBindingAndTheLogsAndBeforeItSaysItStarted()
    {
        _credentials = new FakeCredentials(userId: 0, groupId: 0);
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1)), []);
        var pidPath = _directory.File("bouncer.pid");
        var runner = Runner(new DaemonOptions { PidFile = pidPath });

        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        Assert.NotNull(_engine.StartedWith);
        Assert.Equal(["setgroups 65534", "setresgid 65534", "setresuid 65534", "setresuid 0"], _credentials.Calls);
        var text = _stderr.ToString();
        var dropped = text.IndexOf("info: dropped root: now running as user nobody (uid 65534, gid 65534) with no capabilities", StringComparison.Ordinal);
        Assert.InRange(dropped, 0, text.IndexOf("info: bouncer ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 20_000)]
    public async Task ADropThatFailsStopsTheEngineAndExitsThreeInsteadOfServingAsRoot()
    {
        _credentials = new FakeCredentials(userId: 0, groupId: 0);
        _credentials.Refused.Add("setresuid");
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1)), []);
        var pidPath = _directory.File("bouncer.pid");
        var runner = Runner(new DaemonOptions { PidFile = pidPath });

        var code = await runner.RunAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(3, code);
        Assert.False(runner.Started.IsCompleted);
        Assert.Equal(TimeSpan.Zero, _engine.DrainTimeout);
        Assert.True(_engine.Disposed);
        Assert.False(File.Exists(pidPath));
        Assert.Contains(
            "error: cannot drop root to user.unprivileged: nobody: setresuid(65534) failed: Operation not permitted (errno 1); stopping rather than serving as root\n",
            _stderr.ToString(),
            StringComparison.Ordinal);
        Assert.DoesNotContain("info: bouncer ", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task NotStartedAsRootTheSettingIsAWarningAndNothingIsChanged()
    {
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1)), []);
        var runner = Runner(new DaemonOptions());

        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        Assert.Empty(_credentials.Calls);
        Assert.Contains("warning: user.unprivileged: nobody has no effect: bouncer was not started as root (it runs as uid 1000)\n", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task AfterTheDropAReloadThatNeedsALowPortIsRefusedAndSaysWhy()
    {
        _credentials = new FakeCredentials(userId: 0, groupId: 0);
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1, port: 8080)), []);
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        var added = TestRules.Pass(2, port: 81);
        _engine.ReloadFailure = new ListenerBindException(
            "pass(2) at bouncer.conf:10: cannot listen on tcp 192.0.2.10:81: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
            new SocketException((int)SocketError.AccessDenied))
        {
            Listener = new Listener(TransportProtocol.Tcp, added.To.Endpoints[0], [added]),
        };
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1, port: 8080), added), []);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("reload of", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        Assert.Matches(
            @"error: reload of bouncer\.conf failed after \d+\.\d ms: pass\(2\) at bouncer\.conf:10: cannot listen on tcp 192\.0\.2\.10:81: " +
            @"permission denied \(ports below 1024 need root or CAP_NET_BIND_SERVICE\): binding port 81 below 1024 needs CAP_NET_BIND_SERVICE, " +
            @"which was dropped with user\.unprivileged: nobody; restart bouncer to bind it, or run it under systemd as that user with " +
            @"AmbientCapabilities=CAP_NET_BIND_SERVICE instead of user\.unprivileged; the running configuration is unchanged",
            _stderr.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task AReloadThatChangesTheUserSaysItWaitsForTheNextStart()
    {
        _credentials = new FakeCredentials(userId: 0, groupId: 0);
        _rules = new CompileResult(WithUser("nobody", TestRules.Pass(1)), []);
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        _rules = new CompileResult(TestRules.Table(TestRules.Pass(1)), []);

        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => _stderr.ToString().Contains("reloaded", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal(0, await run.WaitAsync(Generous));

        Assert.Contains(
            "warning: user.unprivileged: (none) takes effect at the next start; a reload does not change the user bouncer runs as\n",
            _stderr.ToString(),
            StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task ASecondStopEndsTheDrainAtOnce()
    {
        _engine.DrainUntilCancelled = true;
        var runner = Runner(new DaemonOptions { DrainTimeout = TimeSpan.FromMinutes(10) });
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);

        runner.Commands.TryWrite(DaemonCommand.Stop);
        await WaitUntilAsync(() => _engine.DrainTimeout is not null);
        Assert.False(run.IsCompleted);
        runner.Commands.TryWrite(DaemonCommand.Stop);

        Assert.Equal(0, await run.WaitAsync(Generous));
        Assert.Contains("second stop request", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task ReloadReopensTheLogFile()
    {
        var logPath = _directory.File("bouncer.log");
        var runner = Runner(new DaemonOptions { LogFile = logPath });
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);
        File.Move(logPath, logPath + ".1");

        runner.Commands.TryWrite(DaemonCommand.Reload);
        await WaitUntilAsync(() => File.Exists(logPath) && ReadShared(logPath).Contains("log files reopened", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        await run.WaitAsync(Generous);

        Assert.Contains("started:", await File.ReadAllTextAsync(logPath + ".1"), StringComparison.Ordinal);
        Assert.DoesNotContain("started:", await File.ReadAllTextAsync(logPath), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task DumpStateLogsUptimeAndTable()
    {
        var runner = Runner(new DaemonOptions());
        var run = runner.RunAsync(CancellationToken.None);
        await runner.Started.WaitAsync(Generous);

        runner.Commands.TryWrite(DaemonCommand.DumpState);
        await WaitUntilAsync(() => _stderr.ToString().Contains("state: uptime", StringComparison.Ordinal));
        runner.Commands.TryWrite(DaemonCommand.Stop);
        await run.WaitAsync(Generous);

        Assert.Matches(@"info: state: uptime \d+s, 1 rule, 1 listener, 0 live sessions, rule file bouncer.conf", _stderr.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task SystemdHearsReadyAfterBindingAndStoppingBeforeTheDrain()
    {
        var socketPath = _directory.File("notify.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(socketPath));
        using var notifier = new SystemdNotifier(socketPath, TimeProvider.System);
        var runner = Runner(new DaemonOptions(), notifier);

        var run = runner.RunAsync(CancellationToken.None);
        var ready = await ReceiveAsync(receiver);
        Assert.NotNull(_engine.StartedWith);
        Assert.Equal("READY=1\nSTATUS=serving 1 rule, 1 listener, 0 sessions", ready);
        runner.Commands.TryWrite(DaemonCommand.Reload);
        Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", await ReceiveAsync(receiver), StringComparison.Ordinal);
        Assert.StartsWith("READY=1", await ReceiveAsync(receiver), StringComparison.Ordinal);
        runner.Commands.TryWrite(DaemonCommand.Stop);
        Assert.Equal("STOPPING=1\nSTATUS=draining 0 sessions for up to 30s", await ReceiveAsync(receiver));
        Assert.Equal(0, await run.WaitAsync(Generous));
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private List<double> ReloadTimes() =>
        [.. System.Text.RegularExpressions.Regex.Matches(_stderr.ToString(), @"reloaded bouncer\.conf in (\d+\.\d) ms")
            .Select(match => double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))];

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }

    private static async Task<string> ReceiveAsync(Socket receiver)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Generous);
        var length = await receiver.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static RuleTable WithUser(string unprivileged, params Rule[] rules) =>
        new("bouncer.conf", Settings.Defaults with { Users = new UserSettings(null, unprivileged) }, [.. rules]);

    private DaemonRunner Runner(
        DaemonOptions options, SystemdNotifier? notifier = null, Func<string, CompileResult>? loadRules = null) =>
        new(options with { ConfigPath = "bouncer.conf" }, new DaemonDependencies
        {
            LoadRules = loadRules ?? (_ =>
            {
                Interlocked.Increment(ref _loads);
                return _rules;
            }),
            CreateEngine = _engine.Create,
            Stdout = _stdout,
            Stderr = _stderr,
            Notifier = notifier,
            HandleSignals = false,
            PublishGlobalLogger = false,
            ProcessId = 4242,
            Credentials = _credentials,
            Time = _time,
        });

    /// <summary>Records what the runner asks of the engine.</summary>
    private sealed class FakeEngine : IForwardingEngine
    {
        public int Created { get; private set; }

        public EngineOptions? Options { get; private set; }

        public ISessionEventSink? Events { get; private set; }

        public ListenerBindException? BindFailure { get; set; }

        public RuleTable? StartedWith { get; private set; }

        public RuleTable? SecondStart { get; private set; }

        public TimeSpan? DrainTimeout { get; private set; }

        public bool Disposed { get; private set; }

        public int ActiveSessions => 0;

        public List<RuleTable> Reloads { get; } = [];

        public IForwardingEngine Create(EngineOptions options, ISessionEventSink events, IEngineLog log)
        {
            Created++;
            Options = options;
            Events = events;
            return this;
        }

        public Task StartAsync(RuleTable table, CancellationToken cancellationToken)
        {
            if (BindFailure is not null)
            {
                return Task.FromException(BindFailure);
            }

            if (StartedWith is null)
            {
                StartedWith = table;
            }
            else
            {
                SecondStart = table;
            }

            return Task.CompletedTask;
        }

        public ListenerBindException? ReloadFailure { get; set; }

        public bool DrainUntilCancelled { get; set; }

        public Task<ReloadSummary> ReloadAsync(RuleTable table, CancellationToken cancellationToken)
        {
            if (ReloadFailure is not null)
            {
                return Task.FromException<ReloadSummary>(ReloadFailure);
            }

            lock (Reloads)
            {
                Reloads.Add(table);
            }

            return Task.FromResult(new ReloadSummary(0, table.Listeners.Length, 0));
        }

        public EngineState CaptureState()
        {
            lock (Reloads)
            {
                var current = Reloads.LastOrDefault() ?? StartedWith;
                return new EngineState(current, current?.Listeners.Length ?? 0, [], []);
            }
        }

        public Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
        {
            DrainTimeout = drainTimeout;
            return DrainUntilCancelled && drainTimeout > TimeSpan.Zero
                ? Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                : Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
