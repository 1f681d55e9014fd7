using System.Threading.Channels;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Status;
using Bouncer.Cli.Verify;
using Bouncer.Engine;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>bouncer -f FILE</c>: load the rules, set up logging, bind, write the pid file, drop root when
/// <c>user.unprivileged</c> asks (<see cref="PrivilegeDrop"/>), tell systemd, then serve until told
/// to stop. Everything that happens while running arrives as a <see cref="DaemonCommand"/> on one
/// queue (<see cref="DaemonRequestQueue"/>: signals, <c>--watch</c>, cancellation) and is handled by
/// one awaited loop, one command at a time, so reload (<see cref="ReloadCoordinator"/>), state dump
/// and stop never overlap.
/// </summary>
public sealed class DaemonRunner
{
    private readonly DaemonOptions _options;
    private readonly DaemonDependencies _dependencies;
    private readonly DaemonRequestQueue _requests;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _startedAt;
    private readonly LogDropCounter _logDrops = new();
    private UnixUser? _droppedTo;

    public DaemonRunner(DaemonOptions options, DaemonDependencies dependencies)
    {
        _options = options;
        _dependencies = dependencies;
        _requests = new DaemonRequestQueue(dependencies.Time);
    }

    /// <summary>Where signals, the file watcher and tests post commands.</summary>
    public ChannelWriter<DaemonCommand> Commands => _requests.Commands;

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
        using var registration = cancellationToken.Register(() => _requests.Commands.TryWrite(DaemonCommand.Stop));
        var hangupTakenBack = _dependencies.HandleSignals && InheritedHangupIgnore.Restore();
        using var signals = _dependencies.HandleSignals ? new SignalCommandSource(_requests.Commands) : null;
        if (hangupTakenBack)
        {
            logs.Current.Logger.Warning("SIGHUP was ignored when bouncer started (nohup?); it is taken back and reloads the rule file");
        }

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

        // Bound with the listeners, before root is dropped, and disposed before the engine.
        await using var statusService = await StartStatusAsync(engine).ConfigureAwait(false);
        if (_options.Status is not null && statusService is null)
        {
            await engine.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
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

        var reloads = new ReloadCoordinator(_options, _dependencies, _requests, engine, logs, log, BuildLogPipeline, table, _droppedTo)
        {
            Finished = statusService is null ? null : statusService.ReloadFinished,
        };
        CompileGarbage.Collect();
        using (pidFile)
        using (_options.Watch ? new RuleFileWatcher(_options.ConfigPath, _requests.Commands, _dependencies.Time) : null)
        {
            _startedAt = _dependencies.Time.GetTimestamp();
            log.Info($"bouncer {VersionText()} started: {Counted.Of(table.Rules.Length, "rule")}, " +
                $"{Counted.Of(table.Listeners.Length, "listener")} from {_options.ConfigPath}");
            if (statusService is not null)
            {
                log.Info($"status: serving /metrics and / on {StatusUrl(statusService.LocalEndPoint)}");
            }

            var status = reloads.Status();
            _dependencies.Notifier?.Ready(status);
            _started.TrySetResult();
            using (var serving = new CancellationTokenSource())
            {
                var statusLoop = _dependencies.Notifier is { IsEnabled: true } notifier
                    ? new SystemdStatusLoop(notifier, reloads.Status, _dependencies.Time).RunAsync(status, serving.Token)
                    : Task.CompletedTask;
                try
                {
                    await RunCommandLoopAsync(engine, reloads, log).ConfigureAwait(false);
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
    /// Binds <c>--status</c> when asked; null when not asked, or when it cannot be bound (then
    /// stderr says why and the caller stops).
    /// </summary>
    private async Task<StatusService?> StartStatusAsync(IForwardingEngine engine)
    {
        if (_options.Status is not { } endpoint)
        {
            return null;
        }

        try
        {
            return StatusService.Start(endpoint, engine.CaptureState, _logDrops, () => _dependencies.Time.GetElapsedTime(_startedAt), VersionText(), _dependencies.Time);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await _dependencies.Stderr.WriteLineAsync($"bouncer: cannot serve --status on {StatusUrl(endpoint)}: {ex.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private static string StatusUrl(System.Net.IPEndPoint endpoint) => $"http://{endpoint}/";

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
    private async Task RunCommandLoopAsync(IForwardingEngine engine, ReloadCoordinator reloads, EngineLog log)
    {
        while (true)
        {
            var request = await _requests.ReadAsync().ConfigureAwait(false);
            switch (request.Command)
            {
                case DaemonCommand.Stop:
                    return;
                case DaemonCommand.Reload:
                    if (await reloads.ReloadUntilQuietAsync(request.PostedAt).ConfigureAwait(false))
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
        if (await _requests.WaitForStopAsync(cancellationToken).ConfigureAwait(false))
        {
            log.Info("second stop request: closing the remaining sessions now");
            await hurry.CancelAsync().ConfigureAwait(false);
        }
    }

    private LogPipeline BuildLogPipeline(Settings settings) =>
        LogPipeline.Build(LogPipelineOptions.From(settings, _options) with
        {
            Drops = _logDrops,
            Stdout = _dependencies.Stdout,
            Stderr = _dependencies.Stderr,
            Time = _dependencies.Time,
        });

    private static string VersionText() =>
        typeof(DaemonRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
