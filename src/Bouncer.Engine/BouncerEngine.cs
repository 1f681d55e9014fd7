using System.Collections.Immutable;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Names;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.State;
using Bouncer.Engine.Tcp;
using Bouncer.Engine.Udp;
using Bouncer.Rules.Comparison;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Engine;

/// <summary>
/// The data path as the daemon sees it: bind a table's listeners, forward, swap tables on reload,
/// and stop with a drain deadline.
/// </summary>
public sealed class BouncerEngine : IAsyncDisposable
{
    /// <summary>How long resolved hostnames (targets, <c>from:</c> names, reverse names) are reused.</summary>
    public static readonly TimeSpan NameCacheLifetime = TimeSpan.FromSeconds(30);

    /// <summary>How often idle and fin-wait timeouts are checked; a timeout fires at most this late.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    // How often ended warning intervals are checked for left-out notices: their count is written
    // at most this long after the interval ends.
    private static readonly TimeSpan WarningFlushPeriod = TimeSpan.FromSeconds(1);

    private readonly IEngineLog _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SessionTracker _tracker;
    private readonly LimitRegistry _limits;
    private readonly RuleStatisticsRegistry _statistics = new();
    private readonly ListenerSet _listeners;
    private readonly SessionSweeper _sweeper;
    private readonly RateLimitedLog _warnings;
    private Task _sweepLoop = Task.CompletedTask;
    private Task _warningLoop = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    public BouncerEngine(EngineOptions options, ISessionEventSink events, IEngineLog log, INameResolver resolver)
    {
        _log = log;
        var time = options.Time;
        _tracker = new SessionTracker(log, time);
        _limits = new LimitRegistry(time);
        var cachingResolver = new CachingNameResolver(resolver, NameCacheLifetime, time);
        ListenerSet? listeners = null;
        _warnings = new RateLimitedLog(log, WarningInterval, time);
        var services = new EngineServices(
            options,
            () => listeners!.Current,
            new RuleMatcher(cachingResolver),
            cachingResolver,
            _limits,
            new SessionEventPublisher(events, log, options.Debug),
            _tracker,
            _warnings,
            _stopping.Token)
        {
            Statistics = _statistics,
        };
        listeners = new ListenerSet([new TcpListenerServiceFactory(services), new UdpListenerServiceFactory(services)], log);
        _listeners = listeners;
        _sweeper = new SessionSweeper(_tracker, _limits, SweepInterval, time);
    }

    /// <summary>Sessions alive right now (accepted and not yet closed).</summary>
    public int ActiveSessions => _tracker.Count;

    /// <summary>The table in force, or null before start.</summary>
    public RuleTable? CurrentTable => _listeners.Current.Table;

    /// <summary>
    /// Binds every listener of <paramref name="table"/> and starts forwarding. On any bind failure
    /// nothing stays bound and a <see cref="ListenerBindException"/> names the rule, address and cause.
    /// </summary>
    public async Task StartAsync(RuleTable table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The engine has already been started.");
        }

        try
        {
            // Before any listener accepts: a session must not be the first to need an assembly
            // or a native call, which out of descriptors would fail for good (DataPathPreload).
            await DataPathPreload.RunAsync().ConfigureAwait(false);
            await _listeners.ApplyAsync(table, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _state, 0);
            throw;
        }

        // The daemon writes the one "started" line; the engine adds nothing of its own.
        _sweepLoop = _sweeper.RunAsync(_stopping.Token);
        _warningLoop = _warnings.RunAsync(WarningFlushPeriod, _stopping.Token);
    }

    /// <summary>
    /// Makes <paramref name="table"/> the table in force: new listeners are bound first (on failure
    /// they are closed again, the old table stays and <see cref="ListenerBindException"/> says why),
    /// then the table is swapped in one step, then listeners that are gone are closed. Unchanged
    /// listeners keep their sockets; live sessions keep their rules. Unchanged rules keep their
    /// counters and limits (<see cref="RuleTableChanges"/>, returned in <see cref="ReloadSummary.Rules"/>). Logs
    /// nothing itself: the caller writes one line for the whole reload from the returned summary.
    /// </summary>
    public async Task<ReloadSummary> ReloadAsync(RuleTable table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (Volatile.Read(ref _state) != 1)
        {
            throw new InvalidOperationException("The engine is not running.");
        }

        // Before the swap, so the first session of an unchanged rule already counts where its predecessor did.
        RuleTableChanges? changes = null;
        if (CurrentTable is { } previous)
        {
            changes = RuleTableChanges.Compare(previous, table);
            _statistics.CarryOver(changes);
            _limits.CarryOver(changes);
        }

        var summary = await _listeners.ApplyAsync(table, cancellationToken).ConfigureAwait(false);
        return summary with { Rules = changes };
    }

    /// <summary>The table in force, the counters of its rules and every open session, for a state dump.</summary>
    public EngineState CaptureState()
    {
        var snapshot = _listeners.Current;
        var rules = snapshot.Table is { } table
            ? [.. table.Rules.Select(rule => _statistics.For(rule).Read(rule))]
            : ImmutableArray<RuleActivity>.Empty;
        return new EngineState(snapshot.Table, snapshot.Services.Count, rules, [.. _tracker.Describe()]);
    }

    /// <summary>
    /// Stops accepting, ends UDP flows, lets TCP sessions finish until <paramref name="drainTimeout"/>,
    /// then closes the rest. Cancelling <paramref name="cancellationToken"/> ends the drain early
    /// (a second SIGTERM): the remaining sessions are closed at once and the stop still completes.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        await _listeners.CloseAllAsync().ConfigureAwait(false);
        bool drained;
        var cutShort = false;
        try
        {
            drained = await _tracker.WaitAllAsync(drainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            drained = _tracker.Count == 0;
            cutShort = true;
        }

        if (!drained)
        {
            _log.Info(cutShort
                ? $"drain cut short: resetting {_tracker.Count} session(s)"
                : $"drain deadline passed: resetting {_tracker.Count} session(s)");
        }

        // Also ends sessions still matching or connecting, which the drain does not wait for.
        await _stopping.CancelAsync().ConfigureAwait(false);
        _tracker.TerminateAll(EndReason.AdministrativeTermination);
        await _tracker.WaitAllAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
        await _sweepLoop.ConfigureAwait(false);
        await _warningLoop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        await _listeners.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
