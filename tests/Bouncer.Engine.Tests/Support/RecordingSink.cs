using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Collects session events; tests wait (bounded) for the ones they expect.</summary>
internal sealed class RecordingSink : ISessionEventSink
{
    private readonly ConcurrentQueue<SessionEvent> _events = new();

    public IReadOnlyList<SessionEvent> Events => [.. _events];

    public IReadOnlyList<SessionEvent> Closed => [.. _events.Where(e => e.Phase == SessionPhase.Closed)];

    public void Publish(SessionEvent sessionEvent) => _events.Enqueue(sessionEvent);

    public async Task<SessionEvent> WaitForAsync(Func<SessionEvent, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            var found = _events.FirstOrDefault(predicate);
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("expected session event not raised; got: " + string.Join("; ", _events.Select(Describe)));
    }

    public Task<SessionEvent> WaitForClosedAsync(int ruleNumber, TimeSpan? timeout = null) =>
        WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Rule.Number == ruleNumber, timeout);

    public async Task WaitForCountAsync(Func<SessionEvent, bool> predicate, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_events.Count(predicate) < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} events, got {_events.Count(predicate)}");
            }

            await Task.Delay(20);
        }
    }

    private static string Describe(SessionEvent e) => $"{e.Rule.Label} {e.Phase} {e.Reason} {e.ErrorDetail}";
}
