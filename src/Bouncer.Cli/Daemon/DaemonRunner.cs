using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Verify;
using Bouncer.Engine;
using Bouncer.Engine.State;
using Bouncer.Rules;
using Bouncer.Rules.Model;
using Serilog.Events;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>bouncer -f FILE</c>: load the rules, set up logging, bind, write the pid file, drop root when
/// <c>user.unprivileged</c> asks (<see cref="PrivilegeDrop"/>), tell systemd, then serve until told
/// to stop. Everything that happens while running arrives as a <see cref="DaemonCommand"/> on one channel (signals, <c>--watch</c>, cancellation) and is handled
/// by one awaited loop, one command at a time, so reload, state dump and stop never overlap.
/// </summary>
public sealed class DaemonRunner
{
    private readonly DaemonOptions _options;
    private readonly DaemonDependencies _dependencies;
    private readonly Channel<DaemonRequest> _requests = Channel.CreateUnbounded<DaemonRequest>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly StampingCommandWriter _commands;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _startedAt;
    private RuleTable _running = null!;
    private string? _startUnprivileged;
    private UnixUser? _droppedTo;

    public DaemonRunner(DaemonOptions options, DaemonDependencies dependencies)
    {
        _options = options;
        _dependencies = dependencies;
        _commands = new StampingCommandWriter(_requests.Writer, dependencies.Time);
    }

    /// <summary>Where signals, the file watcher and tests post commands.</summary>
    public ChannelWriter<DaemonCommand> Commands => _commands;

    /// <summary>Completes once the listeners are bound, the pid file is written and root dropped (if asked).</summary>
    public Task Started => _started.Task;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var stderr = _dependencies.Stderr;
        var loaded = _dependencies.LoadRules(_options.ConfigPath);
        DiagnosticReport.Write(loaded, stderr);
        if (loaded.HasErrors || loaded.Table is not { } table)
        {
            return ExitCodes.ConfigurationError;
        }

        // Before any file is opened or socket bound, so a start that cannot drop root does neither.
        var privileges = new PrivilegeDrop(_dependencies.Credentials);
        var plan = privileges.Plan(table.Settings.Users);
        if (plan.Refusal is { } refusal)
        {
            await stderr.WriteLineAsync($"bouncer: {refusal}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        _startUnprivileged = table.Settings.Users.Unprivileged;
        LogPipeline pipeline;
        try
        {
            pipeline = BuildLogPipeline(table.Settings);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"bouncer: cannot open log destination: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.EnvironmentError;
        }

        using var logs = new LogPipelineHost(pipeline, _dependencies.PublishGlobalLogger);
        using var registration = cancellationToken.Register(() => _commands.TryWrite(DaemonCommand.Stop));
        using var signals = _dependencies.HandleSignals ? new SignalCommandSource(_commands) : null;
        return await ServeAsync(table, logs, privileges, plan).ConfigureAwait(false);
    }

    private async Task<int> ServeAsync(RuleTable table, LogPipelineHost logs, PrivilegeDrop privileges, PrivilegePlan plan)
    {
        var log = new EngineLog(logs, _dependencies.Time);
        var engineOptions = new EngineOptions
        {
            KeepAlive = !_options.NoKeepAlive,
            Debug = logs.Current.Debug,
            MaxUdpFlows = _options.MaxUdpFlows ?? new EngineOptions().MaxUdpFlows,
            Time = _dependencies.Time,
        };
        await using var engine = _dependencies.CreateEngine(engineOptions, new SessionEventLogger(logs), log);
        try
        {
            await engine.StartAsync(table, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ListenerBindException ex)
        {
            await _dependencies.Stderr.WriteLineAsync($"bouncer: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        PidFile? pidFile;
        try
        {
            pidFile = _options.PidFile is { } path ? PidFile.Create(path, _dependencies.ProcessId) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await _dependencies.Stderr.WriteLineAsync($"bouncer: cannot write pid file: {ex.Message}").ConfigureAwait(false);
            await engine.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.EnvironmentError;
        }

        if (!DropPrivileges(privileges, plan, log))
        {
            await engine.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            pidFile?.Dispose();
            return ExitCodes.EnvironmentError;
        }

        _running = table;
        CollectCompileGarbage();
        using (pidFile)
        using (_options.Watch ? new RuleFileWatcher(_options.ConfigPath, _commands, _dependencies.Time) : null)
        {
            _startedAt = _dependencies.Time.GetTimestamp();
            log.Info($"bouncer {VersionText()} started: {Counted.Of(table.Rules.Length, "rule")}, " +
                $"{Counted.Of(table.Listeners.Length, "listener")} from {_options.ConfigPath}");
            var status = Status(engine);
            _dependencies.Notifier?.Ready(status);
            _started.TrySetResult();
            using (var serving = new CancellationTokenSource())
            {
                var statusLoop = _dependencies.Notifier is { IsEnabled: true } notifier
                    ? new SystemdStatusLoop(notifier, () => Status(engine), _dependencies.Time).RunAsync(status, serving.Token)
                    : Task.CompletedTask;
                try
                {
                    await RunCommandLoopAsync(engine, logs, log).ConfigureAwait(false);
                }
                finally
                {
                    await serving.CancelAsync().ConfigureAwait(false);
                    await statusLoop.ConfigureAwait(false);
                }
            }

            await StopAsync(engine, log).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// Carries out <paramref name="plan"/>; false when the drop failed and the daemon must stop. Last
    /// of the start's root work: the log files (opened before binding) and the pid file may be in
    /// root's directories, and their open descriptors stay writable after the drop because the
    /// kernel checks permissions at open. It comes before the start line, systemd's READY=1 and
    /// --watch, so whatever sees the daemon ready sees its final identity.
    /// </summary>
    private bool DropPrivileges(PrivilegeDrop privileges, PrivilegePlan plan, EngineLog log)
    {
        if (plan.Notice is { } notice)
        {
            log.Warning(notice);
        }

        if (plan.DropTo is not { } user)
        {
            return true;
        }

        if (!privileges.TryDrop(user, out var report))
        {
            log.Error($"cannot drop root to user.unprivileged: {user.Name}: {report}; stopping rather than serving as root");
            return false;
        }

        _droppedTo = user;
        log.Info($"dropped root: {report}");
        return true;
    }

    /// <summary>
    /// The daemon's one loop: runs until a <see cref="DaemonCommand.Stop"/> arrives (posted by
    /// cancellation too).
    /// </summary>
    private async Task RunCommandLoopAsync(IForwardingEngine engine, LogPipelineHost logs, EngineLog log)
    {
        var reader = _requests.Reader;
        while (true)
        {
            var request = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            switch (request.Command)
            {
                case DaemonCommand.Stop:
                    return;
                case DaemonCommand.Reload:
                    if (await ReloadUntilQuietAsync(engine, logs, log, request.PostedAt).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;
                case DaemonCommand.DumpState:
                    foreach (var line in StateReport.Lines(engine.CaptureState(), _dependencies.Time.GetElapsedTime(_startedAt), _options.ConfigPath))
                    {
                        log.Info(line);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// Stops accepting and drains for up to <c>--drain-timeout</c>. A further SIGTERM/SIGINT during
    /// the drain ends it at once (the operator has decided not to wait).
    /// </summary>
    private async Task StopAsync(IForwardingEngine engine, EngineLog log)
    {
        var drainText = $"draining {Counted.Of(engine.ActiveSessions, "session")} for up to {_options.DrainTimeout.TotalSeconds:0}s";
        _dependencies.Notifier?.Stopping(drainText);
        log.Info($"stopping: {drainText}");
        using var hurry = new CancellationTokenSource();
        using var watching = new CancellationTokenSource();
        var secondStop = WatchForSecondStopAsync(hurry, log, watching.Token);
        await engine.StopAsync(_options.DrainTimeout, hurry.Token).ConfigureAwait(false);
        await watching.CancelAsync().ConfigureAwait(false);
        await secondStop.ConfigureAwait(false);
        log.Info("stopped");
    }

    private async Task WatchForSecondStopAsync(CancellationTokenSource hurry, EngineLog log, CancellationToken cancellationToken)
    {
        var reader = _requests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var request) && request.Command == DaemonCommand.Stop)
                {
                    log.Info("second stop request: closing the remaining sessions now");
                    await hurry.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The drain finished by itself.
        }
    }

    /// <summary>
    /// Reloads at once, then again while more reload requests arrived during the reload: all the
    /// requests that are waiting when a reload starts are served by that one reload, so a burst of
    /// HUPs causes one reload, or two when it straddles the start of one (the second reads what was
    /// written while the first ran; no request is served by a read that began before it). There is
    /// no settle delay, because it would count against the time from signal to new table. Each
    /// reload's time counts from the earliest request it serves. True when a stop arrived meanwhile;
    /// state dumps keep their place in the queue.
    /// </summary>
    private async Task<bool> ReloadUntilQuietAsync(IForwardingEngine engine, LogPipelineHost logs, EngineLog log, long requested)
    {
        long? again = requested;
        while (again is { } postedAt)
        {
            var waiting = TakeWaitingRequests();
            if (waiting.Stop)
            {
                return true;
            }

            await ReloadAsync(engine, logs, log, Math.Min(postedAt, waiting.ReloadPostedAt ?? postedAt)).ConfigureAwait(false);
            (again, var stop) = TakeWaitingRequests();
            if (stop)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Removes the waiting requests: when the earliest reload among them was posted, and whether a
    /// stop was among them; state dumps are put back.
    /// </summary>
    private (long? ReloadPostedAt, bool Stop) TakeWaitingRequests()
    {
        long? reload = null;
        var stop = false;
        var queued = new List<DaemonRequest>();
        while (_requests.Reader.TryRead(out var next))
        {
            switch (next.Command)
            {
                case DaemonCommand.Reload:
                    reload = Math.Min(reload ?? next.PostedAt, next.PostedAt);
                    break;
                case DaemonCommand.Stop:
                    stop = true;
                    break;
                default:
                    queued.Add(next);
                    break;
            }
        }

        foreach (var request in queued)
        {
            _requests.Writer.TryWrite(request);
        }

        return (reload, stop);
    }

    /// <summary>
    /// SIGHUP (design §5.2): read and validate the whole file; with any error, log every diagnostic
    /// and change nothing. Otherwise the engine binds new listeners first, swaps the table in one
    /// step and closes the listeners that are gone; a bind failure also changes nothing. Either way
    /// the log files are reopened (logrotate) and one summary line says what happened and how
    /// long it took from the request to the new table being in force.
    /// </summary>
    private async Task ReloadAsync(IForwardingEngine engine, LogPipelineHost logs, EngineLog log, long requested)
    {
        _dependencies.Notifier?.Reloading($"reloading {_options.ConfigPath}");
        var result = _dependencies.LoadRules(_options.ConfigPath);
        ReloadSummary? listeners = null;
        string? failure = null;
        if (result.HasErrors || result.Table is null)
        {
            failure = $"{Counted.Of(result.Diagnostics.Count(d => d.IsError), "error")} in the file";
        }
        else
        {
            try
            {
                listeners = await engine.ReloadAsync(result.Table, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ListenerBindException ex)
            {
                failure = (_droppedTo is { } user ? PrivilegeDrop.ExplainBindFailure(ex, user) : null) ?? ex.Message;
            }
        }

        var elapsed = _dependencies.Time.GetElapsedTime(requested);
        var previous = _running;
        if (listeners is not null)
        {
            _running = result.Table!;
        }

        var reopened = ReopenLogs(logs, log, _running.Settings);
        foreach (var diagnostic in result.Diagnostics)
        {
            log.Write(diagnostic.IsError ? LogEventLevel.Error : LogEventLevel.Warning, diagnostic.ToString());
        }

        var logText = reopened ? "log files reopened" : "log files kept open";
        var took = elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        if (listeners is null)
        {
            log.Error($"reload of {_options.ConfigPath} failed after {took} ms: {failure}; the running configuration is unchanged; {logText}");
        }
        else
        {
            // The engine's own comparison when it made one (it needs it to carry counters over).
            var rules = listeners.Rules ?? RuleTableChanges.Compare(previous, _running);
            log.Info($"reloaded {_options.ConfigPath} in {took} ms: rules: {rules}; {listeners}; {logText}");
            if (_running.Settings.Users.Unprivileged != _startUnprivileged)
            {
                log.Warning($"user.unprivileged: {_running.Settings.Users.Unprivileged ?? "(none)"} takes effect at the next start; " +
                    "a reload does not change the user bouncer runs as");
            }
        }

        _dependencies.Notifier?.Ready(Status(engine));
        CollectCompileGarbage();
    }

    /// <summary>
    /// After each compile, once its table is in force (and a reload's time taken), one full
    /// collection takes the compile's garbage and the table it replaced: about 80 MB for a
    /// 10,000-rule file, of which under 20 MB stays alive. Left to the runtime, they went in a
    /// full blocking collection in the middle of the next reload's compile, with that compile's
    /// data alive too: measured on the native build with tests/load/reload.sh, 30 to 300 ms of a
    /// reload, and 140 to 160 MB resident instead of 113 MB. Forwarding stops for this collection
    /// (40 to 55 ms with 10,000 rules, a few milliseconds with a hundred), in place of the longer
    /// one it saves; not compacting keeps it short.
    /// </summary>
    private static void CollectCompileGarbage() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);

    /// <summary>New log files from <paramref name="settings"/>; on failure the open ones stay and the log says why.</summary>
    private bool ReopenLogs(LogPipelineHost logs, EngineLog log, Settings settings)
    {
        try
        {
            logs.Replace(BuildLogPipeline(settings));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Error($"cannot reopen log destination, keeping the open ones: {ex.Message}");
            return false;
        }
    }

    /// <summary>systemd's STATUS= text: what is in force and how busy it is.</summary>
    private string Status(IForwardingEngine engine) =>
        $"serving {Counted.Of(_running.Rules.Length, "rule")}, {Counted.Of(_running.Listeners.Length, "listener")}, " +
        $"{Counted.Of(engine.ActiveSessions, "session")}";

    private LogPipeline BuildLogPipeline(Settings settings) =>
        LogPipeline.Build(LogPipelineOptions.From(settings, _options) with
        {
            Stdout = _dependencies.Stdout,
            Stderr = _dependencies.Stderr,
            Time = _dependencies.Time,
        });

    private static string VersionText() =>
        typeof(DaemonRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
