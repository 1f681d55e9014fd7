using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;
using Serilog.Events;
using Serilog.Parsing;
using P = Bouncer.Cli.Logging.SessionLogProperties;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Turns one <see cref="SessionEvent"/> into one Serilog <see cref="LogEvent"/> whose structured
/// properties carry every field (names in <see cref="SessionLogProperties"/>). The text and JSON
/// formatters both work from these properties, so the two layouts can never disagree.
/// </summary>
public static class SessionLogEventFactory
{
    // The template is for Serilog consumers that only render messages; Bouncer's own formatters
    // write the Barefoot line from the properties.
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse(
        "{verdict:l}({rule}): {protocol:l}/{event:l} {phase:l}");

    public static LogEvent Create(SessionEvent session, bool includePayload)
    {
        var properties = new List<LogEventProperty>(24)
        {
            Scalar(P.Rule, session.Rule.Number),
            Scalar(P.Verdict, VerdictOf(session)),
            Scalar(P.Protocol, session.Protocol.ToKeyword()),
            Scalar(P.Event, EventName(session.Protocol)),
            Scalar(P.Phase, PhaseName(session.Phase)),
            Endpoint(P.Client, session.Client),
            Endpoint(P.Local, session.Local),
        };
        AddEndpoint(properties, P.Outgoing, session.Outgoing);
        AddEndpoint(properties, P.Target, session.Target);
        switch (session.Phase)
        {
            case SessionPhase.Closed:
                AddClosing(properties, session);
                break;
            case SessionPhase.IoOperation:
                properties.Add(Scalar(P.Direction, session.Direction == IoDirection.ClientToTarget ? P.ClientToTarget : P.TargetToClient));
                properties.Add(Scalar(P.Bytes, session.IoBytes));
                if (includePayload)
                {
                    properties.Add(Scalar(P.Payload, PayloadEscaper.Escape(session.Payload.Span)));
                }

                break;
            default:
                break;
        }

        return new LogEvent(session.Timestamp, LogEventLevel.Information, null, Template, properties);
    }

    /// <summary>Barefoot's name for the session type: TCP sessions are "connect", UDP flows "udpassociate".</summary>
    public static string EventName(TransportProtocol protocol) =>
        protocol == TransportProtocol.Tcp ? "connect" : "udpassociate";

    /// <summary>A refused session is a block, also when a pass rule's limit refused it.</summary>
    private static string VerdictOf(SessionEvent session) =>
        session.Rule.Verdict == Verdict.Block || SessionLogPolicy.IsRefusal(session.Reason) ? "block" : "pass";

    private static string PhaseName(SessionPhase phase) => phase switch
    {
        SessionPhase.Opened => P.PhaseOpen,
        SessionPhase.Closed => P.PhaseClose,
        _ => P.PhaseIo,
    };

    private static void AddClosing(List<LogEventProperty> properties, SessionEvent session)
    {
        var counters = session.Counters;
        properties.Add(Scalar(P.BytesToClient, counters.BytesToClient));
        properties.Add(Scalar(P.BytesFromClient, counters.BytesFromClient));
        properties.Add(Scalar(P.BytesToTarget, counters.BytesToTarget));
        properties.Add(Scalar(P.BytesFromTarget, counters.BytesFromTarget));
        if (session.Protocol == TransportProtocol.Udp)
        {
            properties.Add(Scalar(P.PacketsToClient, counters.PacketsToClient));
            properties.Add(Scalar(P.PacketsFromClient, counters.PacketsFromClient));
            properties.Add(Scalar(P.PacketsToTarget, counters.PacketsToTarget));
            properties.Add(Scalar(P.PacketsFromTarget, counters.PacketsFromTarget));
        }

        properties.Add(Scalar(P.Reason, EndReasonText.For(session.Reason)));
        if (!string.IsNullOrEmpty(session.ErrorDetail))
        {
            properties.Add(Scalar(P.Error, session.ErrorDetail));
        }

        properties.Add(Scalar(P.Duration, Math.Round(session.Duration.TotalSeconds, 3)));
    }

    private static void AddEndpoint(List<LogEventProperty> properties, string name, IPEndPoint? endpoint)
    {
        if (endpoint is not null)
        {
            properties.Add(Endpoint(name, endpoint));
        }
    }

    private static LogEventProperty Scalar(string name, object value) => new(name, new ScalarValue(value));

    private static LogEventProperty Endpoint(string name, IPEndPoint endpoint)
    {
        var address = MappedAddress.Unmap(endpoint.Address);
        return new LogEventProperty(name, new StructureValue(
        [
            Scalar(P.Address, address.ToString()),
            Scalar(P.Port, endpoint.Port),
        ]));
    }
}
