using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The part of the engine the runner drives. <see cref="BouncerEngineAdapter"/> is the real one;
/// tests drive the runner's lifecycle (pid file, exit codes, signals) with a stand-in.
/// </summary>
public interface IForwardingEngine : IAsyncDisposable
{
    /// <summary>Binds every listener; throws <see cref="Bouncer.Engine.ListenerBindException"/> when one cannot be bound.</summary>
    Task StartAsync(RuleTable table, CancellationToken cancellationToken);

    Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken);
}
