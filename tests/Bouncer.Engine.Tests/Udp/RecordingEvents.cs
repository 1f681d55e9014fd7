using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>Keeps every session event and engine notice, and lets a test wait for one.</summary>
internal sealed class RecordingEvents : ISessionEventSink, IEngineLog
{
    private readonly ConcurrentQueue<SessionEvent> _events = new();
    private readonly ConcurrentQueue<string> _notices = new();

    public IReadOnlyCollection<SessionEvent> Events => _events;

    public IReadOnlyCollection<string> Notices => _notices;

    public void Publish(SessionEvent sessionEvent) => _events.Enqueue(sessionEvent);

    public void Info(string message) => _notices.Enqueue("info: " + message);

    public void Warning(string message) => _notices.Enqueue("warning: " + message);

    public void Error(string message) => _notices.Enqueue("error: " + message);

    /// <summary>The first event matching <paramref name="predicate"/>, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<SessionEvent> WaitForAsync(Func<SessionEvent, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = _events.FirstOrDefault(predicate);
            if (found is not null)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no matching event within {timeout}; saw: {string.Join("; ", _events.Select(e => $"{e.Phase} {e.Reason} {e.Client}"))}");
            }

            await Task.Delay(20);
        }
    }
}
