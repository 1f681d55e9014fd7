using Bouncer.Engine;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The part of the engine the runner drives. <see cref="BouncerEngineAdapter"/> is the real one;
/// tests drive the runner's lifecycle (pid file, exit codes, signals) with a stand-in.
/// </summary>
public interface IForwardingEngine : IAsyncDisposable
{
    /// <summary>Sessions and UDP flows alive now (for the systemd status line).</summary>
    int ActiveSessions { get; }

    /// <summary>Binds every listener; throws <see cref="ListenerBindException"/> when one cannot be bound.</summary>
    Task StartAsync(RuleTable table, CancellationToken cancellationToken);

    /// <summary>
    /// Puts <paramref name="table"/> in force (new listeners first, one swap, then close the gone
    /// ones); throws <see cref="ListenerBindException"/> and changes nothing when a new listener cannot be bound.
    /// </summary>
    Task<ReloadSummary> ReloadAsync(RuleTable table, CancellationToken cancellationToken);

    /// <summary>Counters per rule and the open sessions, for SIGUSR1.</summary>
    EngineState CaptureState();

    /// <summary>Stops accepting and drains; cancelling <paramref name="cancellationToken"/> ends the drain at once.</summary>
    Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken);
}
