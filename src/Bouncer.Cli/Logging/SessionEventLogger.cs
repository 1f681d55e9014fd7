using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Logging;

/// <summary>
/// The one place session events become log lines: asks <see cref="SessionLogPolicy"/> (which the
/// engine asks too) whether an event is written and with its payload, then makes one Serilog call
/// with structured properties (<see cref="SessionLogEventFactory"/>).
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
        if (!SessionLogPolicy.Writes(sessionEvent, pipeline.Debug))
        {
            return;
        }

        var includePayload = SessionLogPolicy.WithPayload(sessionEvent.Rule.Log, pipeline.Debug);
        pipeline.Logger.Write(SessionLogEventFactory.Create(sessionEvent, includePayload));
    }

    public bool Wants(Rule rule, SessionPhase phase, EndReason reason) =>
        SessionLogPolicy.Writes(rule.Log, phase, reason, _host.Current.Debug);
}
