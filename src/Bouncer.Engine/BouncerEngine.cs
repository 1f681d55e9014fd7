using Bouncer.Engine.Events;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Engine;

/// <summary>
/// The data path as the daemon sees it: bind a table's listeners, forward, swap tables on reload,
/// and stop with a drain deadline.
/// </summary>
public sealed class BouncerEngine : IAsyncDisposable
{
    public BouncerEngine(EngineOptions options, ISessionEventSink events, IEngineLog log, INameResolver resolver)
    {
        _ = options;
        _ = events;
        _ = log;
        _ = resolver;
    }

    /// <summary>
    /// Binds every listener of <paramref name="table"/> and starts forwarding. On any bind failure
    /// nothing stays bound and a <see cref="ListenerBindException"/> names the rule, address and cause.
    /// </summary>
    public Task StartAsync(RuleTable table, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Stops accepting, ends UDP flows, lets TCP sessions finish until <paramref name="drainTimeout"/>, then closes the rest.</summary>
    public Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A listener could not be bound; <see cref="Exception.Message"/> is the one line an operator reads.</summary>
public sealed class ListenerBindException : Exception
{
    public ListenerBindException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public ListenerBindException()
    {
    }

    public ListenerBindException(string message)
        : base(message)
    {
    }
}
