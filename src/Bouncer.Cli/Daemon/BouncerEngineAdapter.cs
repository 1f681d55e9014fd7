using Bouncer.Engine;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>The real <see cref="BouncerEngine"/> behind <see cref="IForwardingEngine"/>.</summary>
public sealed class BouncerEngineAdapter : IForwardingEngine
{
    private readonly BouncerEngine _engine;

    public BouncerEngineAdapter(BouncerEngine engine)
    {
        _engine = engine;
    }

    public int ActiveSessions => _engine.ActiveSessions;

    public Task StartAsync(RuleTable table, CancellationToken cancellationToken) => _engine.StartAsync(table, cancellationToken);

    public Task<ReloadSummary> ReloadAsync(RuleTable table, CancellationToken cancellationToken) => _engine.ReloadAsync(table, cancellationToken);

    public EngineState CaptureState() => _engine.CaptureState();

    public Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken) => _engine.StopAsync(drainTimeout, cancellationToken);

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
