using Bouncer.Rules.Model;

namespace Bouncer.Engine.Events;

/// <summary>
/// What a session writes to the log, decided once for the engine (which events to raise, whether
/// to copy the payload) and the logger (which events to write, whether with the payload), so the
/// two cannot disagree. <paramref name="debug"/> everywhere is the effective level: the larger of
/// <c>-d</c> and the file's <c>debug:</c>. Level 1 writes every event of every rule; level 2 also
/// writes every I/O operation's payload, as <c>log: data</c> does.
/// </summary>
public static class SessionLogPolicy
{
    /// <summary>
    /// Whether the engine raises I/O-operation events for a rule. They cost per operation, so only
    /// when the rule asks for <c>iooperation</c>/<c>data</c> or debug is on.
    /// </summary>
    public static bool RaisesIo(LogEvents log, int debug) =>
        (log & (LogEvents.IoOperation | LogEvents.Data)) != 0 || debug > 0;

    /// <summary>Whether an I/O operation carries (and its line shows) the payload: <c>log: data</c> or debug level 2.</summary>
    public static bool WithPayload(LogEvents log, int debug) =>
        (log & LogEvents.Data) != 0 || debug >= 2;

    /// <summary>
    /// Whether an event is written. Opened needs <c>connect</c>; a close needs <c>disconnect</c>, or
    /// <c>error</c> when the session failed, timed out or hit a limit; a refused session (blocked,
    /// limit) is written for any of connect, disconnect or error, as Barefoot's block rules with
    /// <c>log: connect</c> expect; an I/O operation needs <c>iooperation</c> or <c>data</c>. Any
    /// debug level writes everything.
    /// </summary>
    public static bool Writes(SessionEvent sessionEvent, int debug) =>
        Writes(sessionEvent.Rule.Log, sessionEvent.Phase, sessionEvent.Reason, debug);

    /// <summary>Whether an event of <paramref name="phase"/> that ended for <paramref name="reason"/> is written under <paramref name="log"/>.</summary>
    public static bool Writes(LogEvents log, SessionPhase phase, EndReason reason, int debug)
    {
        if (debug > 0)
        {
            return true;
        }

        return phase switch
        {
            SessionPhase.Opened => log.HasFlag(LogEvents.Connect),
            SessionPhase.IoOperation => RaisesIo(log, debug),
            _ when IsRefusal(reason) =>
                (log & (LogEvents.Connect | LogEvents.Disconnect | LogEvents.Error)) != 0,
            _ => log.HasFlag(LogEvents.Disconnect) || (log.HasFlag(LogEvents.Error) && IsError(reason)),
        };
    }

    /// <summary>Reasons that <c>log: error</c> asks for: failures, timeouts and limits, not orderly closes.</summary>
    public static bool IsError(EndReason reason) => reason is EndReason.LocalClientError
        or EndReason.RemotePeerError
        or EndReason.IoTimeout
        or EndReason.ConnectTimeout
        or EndReason.TcpFinWaitTimeout
        or EndReason.SessionLimitReached
        or EndReason.LocalResourceLimit;

    /// <summary>Sessions that were refused rather than forwarded: they are written as block lines.</summary>
    public static bool IsRefusal(EndReason reason) => reason is EndReason.Blocked or EndReason.SessionLimitReached;
}
