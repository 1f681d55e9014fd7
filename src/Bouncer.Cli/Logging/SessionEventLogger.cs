using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Logging;

/// <summary>
/// The one place session events become log lines: decides from the rule's <c>log:</c> events and
/// the debug level whether an event is written, then makes one Serilog call with structured
/// properties (<see cref="SessionLogEventFactory"/>).
/// </summary>
public sealed class SessionEventLogger : ISessionEventSink
{
    private readonly LogPipelineHost _host;

    public SessionEventLogger(LogPipelineHost host)
    {
        _host = host;
    }

    public void Publish(SessionEvent sessionEvent)
    {
        var pipeline = _host.Current;
        if (!ShouldLog(sessionEvent, pipeline.Debug))
        {
            return;
        }

        var includePayload = sessionEvent.Rule.Log.HasFlag(LogEvents.Data) || pipeline.Debug >= 2;
        pipeline.Logger.Write(SessionLogEventFactory.Create(sessionEvent, includePayload));
    }

    /// <summary>
    /// Opened needs <c>connect</c>; a close needs <c>disconnect</c>, or <c>error</c> when the session
    /// failed, timed out or hit a limit; a refused session (blocked, limit) is written for any of
    /// connect, disconnect or error, as Barefoot's block rules with <c>log: connect</c> expect; an I/O
    /// operation needs <c>iooperation</c> or <c>data</c>. Any debug level writes everything.
    /// </summary>
    public static bool ShouldLog(SessionEvent sessionEvent, int debug)
    {
        if (debug > 0)
        {
            return true;
        }

        var log = sessionEvent.Rule.Log;
        return sessionEvent.Phase switch
        {
            SessionPhase.Opened => log.HasFlag(LogEvents.Connect),
            SessionPhase.IoOperation => (log & (LogEvents.IoOperation | LogEvents.Data)) != 0,
            _ when EndReasonText.IsRefusal(sessionEvent.Reason) =>
                (log & (LogEvents.Connect | LogEvents.Disconnect | LogEvents.Error)) != 0,
            _ => log.HasFlag(LogEvents.Disconnect) || (log.HasFlag(LogEvents.Error) && EndReasonText.IsError(sessionEvent.Reason)),
        };
    }
}
