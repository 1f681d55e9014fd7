using Bouncer.Cli.Logging;
using Prometheus;

namespace Bouncer.Cli.Status;

/// <summary>
/// The series <c>/metrics</c> serves, in a prometheus-net registry of their own (no default .NET
/// series, no event listeners). Nothing here is touched by forwarding: the per-rule counters are
/// copied from the engine's own (those SIGUSR1 reports) when a scrape asks, with <c>IncTo</c>, so
/// a counter never goes down; only reloads (rare, on the command loop) count here directly.
/// </summary>
internal sealed class BouncerMetrics
{
    private const string ContentTypeText = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] s_ruleLabels = ["rule", "protocol", "listen"];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _sessions;
    private readonly Gauge _active;
    private readonly Counter _refused;
    private readonly Counter _failed;
    private readonly Counter _bytes;
    private readonly Counter _reloads;
    private readonly Histogram _reloadDuration;
    private readonly Counter _logDropped;
    private readonly Gauge _listeners;
    private readonly Gauge _openDescriptors;
    private readonly Gauge _maxDescriptors;
    private readonly Gauge _residentMemory;
    private readonly Counter _cpuSeconds;
    private readonly Gauge _startTime;
    private readonly LogDropCounter _drops;
    private readonly Lock _exported = new();
    private Dictionary<RuleLabels, RuleSeries> _ruleSeries = [];

    public BouncerMetrics(LogDropCounter drops, DateTimeOffset startedAt)
    {
        _drops = drops;
        var factory = Metrics.WithCustomRegistry(_registry);
        _sessions = factory.CreateCounter("bouncer_sessions_total", "TCP sessions and UDP flows forwarded (passed and connected to the target).", s_ruleLabels);
        _active = factory.CreateGauge("bouncer_sessions_active", "TCP sessions and UDP flows open now.", s_ruleLabels);
        _refused = factory.CreateCounter("bouncer_refused_total", "Clients turned away: blocks, session limits, srchost checks.", s_ruleLabels);
        _failed = factory.CreateCounter("bouncer_failed_total", "Passed clients whose target could not be reached.", s_ruleLabels);
        _bytes = factory.CreateCounter(
            "bouncer_bytes_total",
            "Bytes forwarded: from_client read from clients, to_client read from targets for the clients; live sessions included.",
            [.. s_ruleLabels, "direction"]);
        _reloads = factory.CreateCounter("bouncer_reloads_total", "Reloads of the rule file by result.", ["result"]);
        _reloadDuration = factory.CreateHistogram(
            "bouncer_reload_duration_seconds",
            "Time from the reload request to the new table in force (or to the failure).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _logDropped = factory.CreateCounter("bouncer_log_lines_dropped_total", "Log lines dropped because a log destination did not keep up.");
        _listeners = factory.CreateGauge("bouncer_listeners", "Sockets bound for the rule table in force.");
        _openDescriptors = factory.CreateGauge("process_open_fds", "Open file descriptors.");
        _maxDescriptors = factory.CreateGauge("process_max_fds", "Maximum number of open file descriptors.");
        _residentMemory = factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        _cpuSeconds = factory.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        _startTime = factory.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
        _startTime.Set(startedAt.ToUnixTimeMilliseconds() / 1000.0);

        // Both results exist from the start, so increase() sees the first failure.
        _reloads.WithLabels("ok");
        _reloads.WithLabels("failed");
    }

    public static string ContentType => ContentTypeText;

    /// <summary>One reload has finished (the command loop calls this).</summary>
    /// <remarks>The duration first: a scrape that sees the reload counted sees its duration too.</remarks>
    public void ReloadFinished(bool succeeded, TimeSpan duration)
    {
        _reloadDuration.Observe(duration.TotalSeconds);
        _reloads.WithLabels(succeeded ? "ok" : "failed").Inc();
    }

    /// <summary>Brings every series up to <paramref name="snapshot"/> and writes the text exposition.</summary>
    public async Task WriteAsync(StatusSnapshot snapshot, Stream destination, CancellationToken cancellationToken)
    {
        lock (_exported)
        {
            Update(snapshot);
        }

        await _registry.CollectAndExportAsTextAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    private void Update(StatusSnapshot snapshot)
    {
        var state = snapshot.State;
        var current = new Dictionary<RuleLabels, RuleSeries>(state.Rules.Length);
        foreach (var activity in state.Rules)
        {
            var labels = RuleLabels.Of(activity.Rule);
            if (current.ContainsKey(labels))
            {
                continue;
            }

            if (!_ruleSeries.TryGetValue(labels, out var series))
            {
                series = new RuleSeries(this, labels);
            }
            else if (activity.Sessions < series.Sessions.Value
                || activity.Refused < series.Refused.Value
                || activity.Failed < series.Failed.Value)
            {
                // A reload changed the rule but not its labels: its counters started again, and
                // the series must too (a reset Prometheus recognises), not wait to catch up.
                Remove(labels);
                series = new RuleSeries(this, labels);
            }

            current[labels] = series;
            var bytes = snapshot.Bytes[activity.Rule];
            series.Sessions.IncTo(activity.Sessions);
            series.Active.Set(activity.Live);
            series.Refused.IncTo(activity.Refused);
            series.Failed.IncTo(activity.Failed);
            series.FromClients.IncTo(bytes.FromClients);
            series.ToClients.IncTo(bytes.ToClients);
        }

        // Rules a reload removed (or renumbered) leave the exposition with their labels.
        foreach (var gone in _ruleSeries.Keys.Where(labels => !current.ContainsKey(labels)))
        {
            Remove(gone);
        }

        _ruleSeries = current;
        _listeners.Set(state.Listeners);
        _logDropped.IncTo(_drops.Total);
        _openDescriptors.Set(ProcessStatistics.OpenDescriptors());
        _maxDescriptors.Set(ProcessStatistics.MaxDescriptors());
        _residentMemory.Set(ProcessStatistics.ResidentBytes());
        _cpuSeconds.IncTo(ProcessStatistics.CpuTime().TotalSeconds);
    }

    private void Remove(RuleLabels labels)
    {
        var values = labels.Values;
        _sessions.RemoveLabelled(values);
        _active.RemoveLabelled(values);
        _refused.RemoveLabelled(values);
        _failed.RemoveLabelled(values);
        _bytes.RemoveLabelled([.. values, "from_client"]);
        _bytes.RemoveLabelled([.. values, "to_client"]);
    }

    /// <summary>One rule's children of every per-rule metric, looked up once rather than per scrape.</summary>
    private sealed class RuleSeries
    {
        public RuleSeries(BouncerMetrics metrics, RuleLabels labels)
        {
            var values = labels.Values;
            Sessions = metrics._sessions.WithLabels(values);
            Active = metrics._active.WithLabels(values);
            Refused = metrics._refused.WithLabels(values);
            Failed = metrics._failed.WithLabels(values);
            FromClients = metrics._bytes.WithLabels([.. values, "from_client"]);
            ToClients = metrics._bytes.WithLabels([.. values, "to_client"]);
        }

        public Counter.Child Sessions { get; }

        public Gauge.Child Active { get; }

        public Counter.Child Refused { get; }

        public Counter.Child Failed { get; }

        public Counter.Child FromClients { get; }

        public Counter.Child ToClients { get; }
    }
}
