using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Raises session events for every protocol. Opened and Closed are always raised (also for blocks
/// and the implicit block): deciding what reaches the log (<c>log:</c>, <c>debug</c>) is the logging
/// class's job. I/O events are the exception, because they cost per operation: they are raised only
/// when the rule asks for <c>iooperation</c>/<c>data</c> or debug is on, and carry a payload copy only for <c>data</c>.
/// A sink that throws is reported once per failure and never breaks a session.
/// </summary>
internal sealed class SessionEventPublisher
{
    private readonly ISessionEventSink _sink;
    private readonly IEngineLog _log;
    private readonly int _debug;

    public SessionEventPublisher(ISessionEventSink sink, IEngineLog log, int debug)
    {
        _sink = sink;
        _log = log;
        _debug = debug;
    }

    /// <summary>Whether sessions of <paramref name="rule"/> raise I/O events.</summary>
    public bool WantsIo(Rule rule, int tableDebug) =>
        (rule.Log & (LogEvents.IoOperation | LogEvents.Data)) != 0 || _debug > 0 || tableDebug > 0;

    /// <summary>Whether I/O events of <paramref name="rule"/> carry the payload.</summary>
    public static bool WantsData(Rule rule) => (rule.Log & LogEvents.Data) != 0;

    public void Opened(SessionIdentity session, IPEndPoint outgoing, IPEndPoint target) =>
        Publish(session.Event(SessionPhase.Opened, outgoing, target, default, EndReason.None, null));

    public void Closed(SessionIdentity session, IPEndPoint? outgoing, IPEndPoint? target, TrafficCounters counters, EndReason reason, string? detail) =>
        Publish(session.Event(SessionPhase.Closed, outgoing, target, counters, reason, detail));

    public void Io(SessionIdentity session, IPEndPoint? outgoing, IPEndPoint? target, IoDirection direction, ReadOnlySpan<byte> data, bool withPayload) =>
        Publish(session.Event(SessionPhase.IoOperation, outgoing, target, default, EndReason.None, null) with
        {
            Direction = direction,
            IoBytes = data.Length,
            Payload = withPayload ? data.ToArray() : ReadOnlyMemory<byte>.Empty,
        });

    private void Publish(SessionEvent sessionEvent)
    {
        try
        {
            _sink.Publish(sessionEvent);
        }
        catch (Exception exception)
        {
            _log.Error($"session event sink failed: {exception.Message}");
        }
    }
}
