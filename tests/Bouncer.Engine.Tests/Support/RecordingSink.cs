using System.Collections.Concurrent;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Collects session events; tests wait (bounded) for the ones they expect, woken by each new event.</summary>
internal sealed class RecordingSink : ISessionEventSink
{
    private readonly ConcurrentQueue<SessionEvent> _events = new();
    private readonly ChangeSignal _published = new();

    /// <summary>What <see cref="Wants"/> answers for every event: false plays a log that writes nothing.</summary>
    public bool WantsEvents { get; init; } = true;

    public IReadOnlyList<SessionEvent> Events => [.. _events];

    public IReadOnlyList<SessionEvent> Closed => [.. _events.Where(e => e.Phase == SessionPhase.Closed)];

    public bool Wants(Rule rule, SessionPhase phase, EndReason reason) => WantsEvents;

    public void Publish(SessionEvent sessionEvent)
    {
        _events.Enqueue(sessionEvent);
        _published.Pulse();
    }

    public async Task<SessionEvent> WaitForAsync(Func<SessionEvent, bool> predicate, TimeSpan? timeout = null)
    {
        SessionEvent? found = null;
        if (!await _published.WaitUntilAsync(() => (found = _events.FirstOrDefault(predicate)) is not null, timeout ?? TimeSpan.FromSeconds(15)))
        {
            throw new TimeoutException("expected session event not raised; got: " + string.Join("; ", _events.Select(Describe)));
        }

        return found!;
    }

    public Task<SessionEvent> WaitForClosedAsync(int ruleNumber, TimeSpan? timeout = null) =>
        WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Rule.Number == ruleNumber, timeout);

    public async Task WaitForCountAsync(Func<SessionEvent, bool> predicate, int count, TimeSpan timeout)
    {
        if (!await _published.WaitUntilAsync(() => _events.Count(predicate) >= count, timeout))
        {
            throw new TimeoutException($"expected {count} events, got {_events.Count(predicate)}");
        }
    }

    private static string Describe(SessionEvent e) => $"{e.Rule.Label} {e.Phase} {e.Reason} {e.ErrorDetail}";
}
