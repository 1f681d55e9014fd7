using System.Diagnostics;
using System.Threading.Channels;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Verify;
using Bouncer.Engine;
using Bouncer.Rules;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>bouncer -f FILE</c>: load the rules, set up logging, bind, write the pid file, tell systemd,
/// then serve until told to stop. Everything that happens while running arrives as a
/// <see cref="DaemonCommand"/> on one channel (signals, <c>--watch</c>, cancellation) and is handled
/// by one awaited loop, one command at a time, so reload, state dump and stop never overlap.
/// </summary>
public sealed class DaemonRunner
{
    /// <summary>How long to wait after a reload request for more to arrive (editors write files in steps; HUPs come in bursts).</summary>
    private static readonly TimeSpan ReloadSettle = TimeSpan.FromMilliseconds(250);

    private readonly DaemonOptions _options;
    private readonly DaemonDependencies _dependencies;
    private readonly Channel<DaemonCommand> _commands = Channel.CreateUnbounded<DaemonCommand>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _uptime = new();

    public DaemonRunner(DaemonOptions options, DaemonDependencies dependencies)
    {
        _options = options;
        _dependencies = dependencies;
    }

    /// <summary>Where signals, the file watcher and tests post commands.</summary>
    public ChannelWriter<DaemonCommand> Commands => _commands.Writer;

    /// <summary>Completes once the listeners are bound and the pid file is written.</summary>
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
        using var registration = cancellationToken.Register(() => _commands.Writer.TryWrite(DaemonCommand.Stop));
        using var signals = _dependencies.HandleSignals ? new SignalCommandSource(_commands.Writer) : null;
        return await ServeAsync(table, logs).ConfigureAwait(false);
    }

    private async Task<int> ServeAsync(RuleTable table, LogPipelineHost logs)
    {
        var log = new EngineLog(logs);
        var engineOptions = new EngineOptions
        {
            KeepAlive = !_options.NoKeepAlive,
            Debug = logs.Current.Debug,
            MaxUdpFlows = _options.MaxUdpFlows ?? new EngineOptions().MaxUdpFlows,
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

        using (pidFile)
        using (_options.Watch ? new RuleFileWatcher(_options.ConfigPath, _commands.Writer) : null)
        {
            _uptime.Start();
            var summary = $"{Plural(table.Rules.Length, "rule")}, {Plural(table.Listeners.Length, "listener")} from {_options.ConfigPath}";
            log.Info($"bouncer {VersionText()} started: {summary}");
            _dependencies.Notifier?.Ready($"serving {summary}");
            _started.TrySetResult();
            await RunCommandLoopAsync(table, logs, log).ConfigureAwait(false);

            _dependencies.Notifier?.Stopping($"draining for up to {_options.DrainTimeout.TotalSeconds:0}s");
            log.Info($"stopping: draining sessions for up to {_options.DrainTimeout.TotalSeconds:0}s");
            await engine.StopAsync(_options.DrainTimeout, CancellationToken.None).ConfigureAwait(false);
            log.Info("stopped");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The daemon's one loop: runs until a <see cref="DaemonCommand.Stop"/> arrives (posted by cancellation too).</summary>
    private async Task RunCommandLoopAsync(RuleTable table, LogPipelineHost logs, EngineLog log)
    {
        var reader = _commands.Reader;
        while (true)
        {
            var command = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            switch (command)
            {
                case DaemonCommand.Stop:
                    return;
                case DaemonCommand.Reload:
                    if (await SettleReloadsAsync().ConfigureAwait(false))
                    {
                        return;
                    }

                    Reload(table, logs, log);
                    break;
                case DaemonCommand.DumpState:
                    log.Info($"state: uptime {(long)_uptime.Elapsed.TotalSeconds}s, {Plural(table.Rules.Length, "rule")}, " +
                        $"{Plural(table.Listeners.Length, "listener")}, rule file {_options.ConfigPath}");
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Waits briefly and swallows further reload requests; true when a stop arrived meanwhile.</summary>
    private async Task<bool> SettleReloadsAsync()
    {
        await Task.Delay(ReloadSettle).ConfigureAwait(false);
        var stop = false;
        var queued = new List<DaemonCommand>();
        while (_commands.Reader.TryRead(out var next))
        {
            stop |= next == DaemonCommand.Stop;
            if (next == DaemonCommand.DumpState)
            {
                queued.Add(next);
            }
        }

        foreach (var command in queued)
        {
            _commands.Writer.TryWrite(command);
        }

        return stop;
    }

    /// <summary>
    /// Validates the rule file and reopens the log files (logrotate). A file with errors is reported
    /// and changes nothing. Applying a new rule table needs the engine's reload, which this runner
    /// will call here; until the engine offers it, the running table stays and the log says so.
    /// </summary>
    private void Reload(RuleTable running, LogPipelineHost logs, EngineLog log)
    {
        _dependencies.Notifier?.Reloading("reloading");
        var result = _dependencies.LoadRules(_options.ConfigPath);
        foreach (var diagnostic in result.Diagnostics)
        {
            log.Write(diagnostic.IsError ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Warning, diagnostic.ToString());
        }

        try
        {
            logs.Replace(BuildLogPipeline(running.Settings));
            log.Info("log files reopened");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Error($"cannot reopen log destination, keeping the open ones: {ex.Message}");
        }

        if (result.HasErrors)
        {
            log.Error($"{_options.ConfigPath} has errors; the running configuration is unchanged");
        }
        else
        {
            log.Warning($"{_options.ConfigPath} is valid, but this build applies rule changes only at restart");
        }

        _dependencies.Notifier?.Ready("serving");
    }

    private LogPipeline BuildLogPipeline(Settings settings) =>
        LogPipeline.Build(LogPipelineOptions.From(settings, _options) with
        {
            Stdout = _dependencies.Stdout,
            Stderr = _dependencies.Stderr,
        });

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";

    private static string VersionText() =>
        typeof(DaemonRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
