using System.Globalization;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Logging;
using Bouncer.Engine;
using Bouncer.Rules.Comparison;
using Bouncer.Rules.Model;
using Serilog.Events;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// Reloads while the daemon serves (design §5.2): coalesces a burst of requests, loads and
/// validates the file, has the engine swap tables, reopens the log files, and writes one line
/// saying what happened and how long it took. Keeps the table in force.
/// </summary>
internal sealed class ReloadCoordinator
{
    private readonly DaemonOptions _options;
    private readonly DaemonDependencies _dependencies;
    private readonly DaemonRequestQueue _requests;
    private readonly IForwardingEngine _engine;
    private readonly LogPipelineHost _logs;
    private readonly EngineLog _log;
    private readonly Func<Settings, LogPipeline> _buildLogPipeline;
    private readonly string? _startUnprivileged;
    private readonly UnixUser? _droppedTo;

    /// <param name="running">The table the daemon started with.</param>
    /// <param name="droppedTo">The user root was dropped to at start, to explain a bind that needs root.</param>
    public ReloadCoordinator(
        DaemonOptions options,
        DaemonDependencies dependencies,
        DaemonRequestQueue requests,
        IForwardingEngine engine,
        LogPipelineHost logs,
        EngineLog log,
        Func<Settings, LogPipeline> buildLogPipeline,
        RuleTable running,
        UnixUser? droppedTo)
    {
        _options = options;
        _dependencies = dependencies;
        _requests = requests;
        _engine = engine;
        _logs = logs;
        _log = log;
        _buildLogPipeline = buildLogPipeline;
        Running = running;
        _startUnprivileged = running.Settings.Users.Unprivileged;
        _droppedTo = droppedTo;
    }

    /// <summary>The table in force.</summary>
    public RuleTable Running { get; private set; }

    /// <summary>Told of each finished reload: whether it took, how long it took, and the gist of its log line (for <c>--status</c>).</summary>
    public Action<bool, TimeSpan, string>? Finished { get; init; }

    /// <summary>systemd's STATUS= text: what is in force and how busy it is.</summary>
    public string Status() =>
        $"serving {Counted.Of(Running.Rules.Length, "rule")}, {Counted.Of(Running.Listeners.Length, "listener")}, " +
        $"{Counted.Of(_engine.ActiveSessions, "session")}";

    /// <summary>
    /// Reloads at once, then again while more reload requests arrived during the reload: all the
    /// requests that are waiting when a reload starts are served by that one reload, so a burst of
    /// HUPs causes one reload, or two when it straddles the start of one (the second reads what was
    /// written while the first ran; no request is served by a read that began before it). There is
    /// no settle delay, because it would count against the time from signal to new table. Each
    /// reload's time counts from the earliest request it serves. True when a stop arrived meanwhile;
    /// state dumps keep their place in the queue.
    /// </summary>
    public async Task<bool> ReloadUntilQuietAsync(long requested)
    {
        long? again = requested;
        while (again is { } postedAt)
        {
            var waiting = _requests.TakeWaitingReloadsAndStop();
            if (waiting.Stop)
            {
                return true;
            }

            await ReloadAsync(Math.Min(postedAt, waiting.ReloadPostedAt ?? postedAt)).ConfigureAwait(false);
            (again, var stop) = _requests.TakeWaitingReloadsAndStop();
            if (stop)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// SIGHUP (design §5.2): read and validate the whole file; with any error, log every diagnostic
    /// and change nothing. Otherwise the engine binds new listeners first, swaps the table in one
    /// step and closes the listeners that are gone; a bind failure also changes nothing. Either way
    /// the log files are reopened (logrotate) and one summary line says what happened and how
    /// long it took from the request to the new table being in force.
    /// </summary>
    private async Task ReloadAsync(long requested)
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
                listeners = await _engine.ReloadAsync(result.Table, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ListenerBindException ex)
            {
                failure = (_droppedTo is { } user ? PrivilegeDrop.ExplainBindFailure(ex, user) : null) ?? ex.Message;
            }
        }

        var elapsed = _dependencies.Time.GetElapsedTime(requested);
        var previous = Running;
        if (listeners is not null)
        {
            Running = result.Table!;
        }

        var reopened = ReopenLogs(Running.Settings);
        foreach (var diagnostic in result.Diagnostics)
        {
            _log.Write(diagnostic.IsError ? LogEventLevel.Error : LogEventLevel.Warning, diagnostic.ToString());
        }

        var logText = reopened ? "log files reopened" : "log files kept open";
        var took = elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        // The status endpoint learns of the reload before the log says it happened, so whoever
        // reads that line and then asks /metrics sees it counted.
        if (listeners is null)
        {
            Finished?.Invoke(false, elapsed, $"{failure}; the running configuration is unchanged");
            _log.Error($"reload of {_options.ConfigPath} failed after {took} ms: {failure}; the running configuration is unchanged; {logText}");
        }
        else
        {
            // The engine's own comparison when it made one (it needs it to carry counters over).
            var rules = listeners.Rules ?? RuleTableChanges.Compare(previous, Running);
            Finished?.Invoke(true, elapsed, $"rules: {rules}; {listeners}");
            _log.Info($"reloaded {_options.ConfigPath} in {took} ms: rules: {rules}; {listeners}; {logText}");
            if (Running.Settings.Users.Unprivileged != _startUnprivileged)
            {
                _log.Warning($"user.unprivileged: {Running.Settings.Users.Unprivileged ?? "(none)"} takes effect at the next start; " +
                    "a reload does not change the user bouncer runs as");
            }
        }

        _dependencies.Notifier?.Ready(Status());
        CompileGarbage.Collect();
    }

    /// <summary>New log files from <paramref name="settings"/>; on failure the open ones stay and the log says why.</summary>
    private bool ReopenLogs(Settings settings)
    {
        try
        {
            _logs.Replace(_buildLogPipeline(settings));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Error($"cannot reopen log destination, keeping the open ones: {ex.Message}");
            return false;
        }
    }
}
