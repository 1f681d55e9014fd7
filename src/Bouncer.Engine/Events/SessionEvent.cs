using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Events;

/// <summary>Which point in a session's life an event marks; the log writes '[', ']' or '-'.</summary>
public enum SessionPhase
{
    /// <summary>A passed session was set up ('[').</summary>
    Opened,

    /// <summary>A session ended, or a client was blocked (']').</summary>
    Closed,

    /// <summary>One I/O operation ('-'), only when the rule asks for iooperation or data.</summary>
    IoOperation,
}

/// <summary>Why a session ended (design §4).</summary>
public enum EndReason
{
    None,
    LocalClientClosed,
    RemotePeerClosed,
    LocalClientError,
    RemotePeerError,
    IoTimeout,
    ConnectTimeout,
    TcpFinWaitTimeout,
    SessionLimitReached,
    AdministrativeTermination,
    Blocked,

    /// <summary>
    /// This host ran out of something the session needed (descriptors, socket buffers) before it
    /// could open its outgoing side: neither the client's fault nor the target's.
    /// </summary>
    LocalResourceLimit,
}

/// <summary>Direction of one I/O operation.</summary>
public enum IoDirection
{
    ClientToTarget,
    TargetToClient,
}

/// <summary>Byte and packet counts of a session, each seen from Bouncer.</summary>
public readonly record struct TrafficCounters(
    long BytesToClient,
    long BytesFromClient,
    long BytesToTarget,
    long BytesFromTarget,
    long PacketsToClient,
    long PacketsFromClient,
    long PacketsToTarget,
    long PacketsFromTarget);

/// <summary>
/// What the engine reports about a session. The engine raises typed events; one logging class
/// turns them into text or JSON. <see cref="Outgoing"/> and <see cref="Target"/> are null until
/// the outgoing side exists (blocked sessions have neither).
/// </summary>
public sealed record SessionEvent(
    DateTimeOffset Timestamp,
    Rule Rule,
    TransportProtocol Protocol,
    SessionPhase Phase,
    IPEndPoint Client,
    IPEndPoint Local,
    IPEndPoint? Outgoing,
    IPEndPoint? Target,
    TrafficCounters Counters,
    EndReason Reason,
    string? ErrorDetail,
    TimeSpan Duration,
    IoDirection Direction = IoDirection.ClientToTarget,
    int IoBytes = 0,
    ReadOnlyMemory<byte> Payload = default);

/// <summary>Receives session events. Implementations must be thread-safe and must not block.</summary>
public interface ISessionEventSink
{
    void Publish(SessionEvent sessionEvent);

    /// <summary>
    /// Whether an event of <paramref name="phase"/> for a session of <paramref name="rule"/> that
    /// ended for <paramref name="reason"/> would be used: false spares the engine building it, for
    /// every connection of a rule that logs nothing. Every event by default.
    /// </summary>
    bool Wants(Rule rule, SessionPhase phase, EndReason reason) => true;
}

/// <summary>
/// Operational messages of the engine that are not about one session (bind failures, limit
/// notices, reload summaries). Kept apart from session events so both can be asserted in tests.
/// </summary>
public interface IEngineLog
{
    void Info(string message);

    void Warning(string message);

    void Error(string message);
}
