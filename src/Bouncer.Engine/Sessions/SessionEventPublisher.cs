using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Raises session events for every protocol. Opened and Closed are always raised (also for blocks
/// and the implicit block): deciding what reaches the log (<c>log:</c>, <c>debug</c>) is the logging
/// class's job. I/O events are the exception, because they cost per operation: whether they are
/// raised, and with a payload copy, is <see cref="SessionLogPolicy"/>'s decision, the same the logger makes.
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

    /// <summary>Whether sessions of <paramref name="rule"/> raise I/O events (<see cref="SessionLogPolicy.RaisesIo"/>).</summary>
    public bool WantsIo(Rule rule, int tableDebug) => SessionLogPolicy.RaisesIo(rule.Log, EffectiveDebug(tableDebug));

    /// <summary>Whether I/O events of <paramref name="rule"/> carry the payload (<see cref="SessionLogPolicy.WithPayload"/>).</summary>
    public bool WantsData(Rule rule, int tableDebug) => SessionLogPolicy.WithPayload(rule.Log, EffectiveDebug(tableDebug));

    /// <summary>
    /// Whether any event of a forwarded session of <paramref name="rule"/> may be written: its
    /// outgoing address is asked of the system only then. How the session will end is not known
    /// yet, so both kinds of end are asked about.
    /// </summary>
    public bool ShowsAddresses(Rule rule, int tableDebug) =>
        WantsIo(rule, tableDebug)
        || _sink.Wants(rule, SessionPhase.Opened, EndReason.None)
        || _sink.Wants(rule, SessionPhase.Closed, EndReason.LocalClientClosed)
        || _sink.Wants(rule, SessionPhase.Closed, EndReason.RemotePeerError);

    // The logger uses the larger of -d and the file's debug: as well, so both decide from one level.
    private int EffectiveDebug(int tableDebug) => Math.Max(_debug, tableDebug);

    public void Opened(SessionIdentity session, IPEndPoint? outgoing, IPEndPoint target)
    {
        if (_sink.Wants(session.Rule, SessionPhase.Opened, EndReason.None))
        {
            Publish(session.Event(SessionPhase.Opened, outgoing, target, default, EndReason.None, null));
        }
    }

    public void Closed(SessionIdentity session, IPEndPoint? outgoing, IPEndPoint? target, TrafficCounters counters, EndReason reason, string? detail)
    {
        if (_sink.Wants(session.Rule, SessionPhase.Closed, reason))
        {
            Publish(session.Event(SessionPhase.Closed, outgoing, target, counters, reason, detail));
        }
    }

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
