using System.Globalization;
using System.Net;
using Bouncer.Cli.Logging;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Report;

/// <summary>Log lines of known traffic, written by the daemon's own formatters at chosen times.</summary>
internal sealed class LogText
{
    /// <summary>2025-11-22 14:00:00 UTC.</summary>
    public static readonly DateTimeOffset Start = new(2025, 11, 22, 14, 0, 0, TimeSpan.Zero);

    private static readonly IPEndPoint Outgoing = IPEndPoint.Parse("192.0.2.1:40000");
    private readonly bool _json;
    private readonly StringWriter _text = new(CultureInfo.InvariantCulture);

    public LogText(bool json = false)
    {
        _json = json;
    }

    public LogText Open(Rule rule, TimeSpan at, string client, TransportProtocol protocol = TransportProtocol.Tcp) =>
        Write(new SessionEvent(Start + at, rule, protocol, SessionPhase.Opened, IPEndPoint.Parse(client), Listen(rule), Outgoing,
            Target(rule), default, EndReason.None, null, TimeSpan.Zero));

    public LogText End(
        Rule rule, TimeSpan at, string client, long fromClient, long toClient, TimeSpan duration,
        EndReason reason = EndReason.LocalClientClosed, TransportProtocol protocol = TransportProtocol.Tcp) =>
        Write(new SessionEvent(Start + at, rule, protocol, SessionPhase.Closed, IPEndPoint.Parse(client), Listen(rule), Outgoing, Target(rule),
            protocol == TransportProtocol.Udp
                ? new TrafficCounters(toClient, fromClient, fromClient, toClient, 1, 1, 1, 1)
                : new TrafficCounters(toClient, fromClient, fromClient, toClient, 0, 0, 0, 0),
            reason, null, duration));

    public LogText Refuse(Rule rule, TimeSpan at, string client, EndReason reason = EndReason.Blocked) =>
        Write(new SessionEvent(Start + at, rule, TransportProtocol.Tcp, SessionPhase.Closed, IPEndPoint.Parse(client), Listen(rule), null, null,
            default, reason, reason == EndReason.SessionLimitReached ? "session.max" : null, TimeSpan.Zero));

    public LogText Line(string line)
    {
        _text.Write(line);
        _text.Write('\n');
        return this;
    }

    public override string ToString() => _text.ToString();

    private static IPEndPoint Listen(Rule rule) => new(rule.To.Endpoints[0].Address, rule.To.Endpoints[0].Port);

    private static IPEndPoint? Target(Rule rule) =>
        rule.Target is { Address: { } address } target ? new IPEndPoint(address, target.Port) : null;

    private LogText Write(SessionEvent sessionEvent)
    {
        var logEvent = SessionLogEventFactory.Create(sessionEvent, includePayload: false);
        if (_json)
        {
            new JsonLineFormatter(processId: 4242).Format(logEvent, _text);
        }
        else
        {
            new BarefootTextFormatter(header: true, TimeZoneInfo.Utc, processId: 4242).Format(logEvent, _text);
        }

        return this;
    }
}
