using System.Collections.Concurrent;
using Bouncer.Engine.Events;
using Bouncer.Engine.State;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Owns every session task from accept to close: starts it, remembers it until it ends, sweeps it
/// for timeouts, and at stop awaits it or terminates it. Nothing runs unobserved.
/// </summary>
internal sealed class SessionTracker
{
    private readonly ConcurrentDictionary<ITrackedSession, Task> _sessions = new();
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;

    public SessionTracker(IEngineLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    public int Count => _sessions.Count;

    public IEnumerable<ITrackedSession> Sessions => _sessions.Keys;

    public void Run(ITrackedSession session)
    {
        // Registered before it runs, so a stop that begins meanwhile sees it.
        _sessions[session] = Task.CompletedTask;
        var task = RunAndForgetAsync(session);
        _sessions.TryUpdate(session, task, Task.CompletedTask);
    }

    public void Sweep(long now)
    {
        foreach (var session in _sessions.Keys)
        {
            session.Sweep(now);
        }
    }

    /// <summary>Every open session, as <see cref="ITrackedSession.Describe"/> reports it, oldest first.</summary>
    public List<LiveSession> Describe()
    {
        var now = _time.GetMilliseconds();
        var live = new List<LiveSession>(_sessions.Count);
        foreach (var session in _sessions.Keys)
        {
            if (session.Describe(now) is { } described)
            {
                live.Add(described);
            }
        }

        live.Sort((a, b) => b.Age.CompareTo(a.Age));
        return live;
    }

    public void TerminateAll(EndReason reason)
    {
        foreach (var session in _sessions.Keys)
        {
            session.Terminate(reason);
        }
    }

    /// <summary>Waits until no session is left, or <paramref name="timeout"/> (may be infinite) passes; true when none is left.</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : _time.GetMilliseconds() + (long)timeout.TotalMilliseconds;
        while (!_sessions.IsEmpty)
        {
            var remaining = deadline == long.MaxValue ? long.MaxValue : deadline - _time.GetMilliseconds();
            if (remaining <= 0)
            {
                return false;
            }

            var all = Task.WhenAll(_sessions.Values);
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(Math.Min(remaining, 100)), _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return true;
    }

    private async Task RunAndForgetAsync(ITrackedSession session)
    {
        try
        {
            await session.RunAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // A session must classify its own network failures; anything else is a bug worth a loud line.
            _log.Error($"session failed unexpectedly: {exception}");
        }
        finally
        {
            _sessions.TryRemove(session, out _);
        }
    }
}
