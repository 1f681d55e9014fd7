using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Support;

/// <summary>Session events with the endpoints of design §4's examples.</summary>
internal static class SessionEvents
{
    /// <summary>2025-11-22 14:03:07.123456 UTC, Unix 1763820187.123456.</summary>
    public static DateTimeOffset Time { get; } =
        DateTimeOffset.FromUnixTimeSeconds(1763820187).AddTicks(1234560);

    public static IPEndPoint Client { get; } = IPEndPoint.Parse("198.51.100.7:51234");

    public static IPEndPoint Local { get; } = IPEndPoint.Parse("192.0.2.10:80");

    public static IPEndPoint Outgoing { get; } = IPEndPoint.Parse("192.0.2.1:51234");

    public static IPEndPoint Target { get; } = IPEndPoint.Parse("10.1.1.10:8080");

    public static SessionEvent Opened(Rule rule, TransportProtocol protocol = TransportProtocol.Tcp) =>
        new(Time, rule, protocol, SessionPhase.Opened, Client, Local, Outgoing, Target, default, EndReason.None, null, TimeSpan.Zero);

    public static SessionEvent Closed(
        Rule rule,
        EndReason reason,
        TrafficCounters counters = default,
        TimeSpan duration = default,
        string? error = null,
        TransportProtocol protocol = TransportProtocol.Tcp) =>
        new(Time, rule, protocol, SessionPhase.Closed, Client, Local, Outgoing, Target, counters, reason, error, duration);

    public static SessionEvent Blocked(Rule rule, EndReason reason = EndReason.Blocked) =>
        new(Time, rule, TransportProtocol.Tcp, SessionPhase.Closed, IPEndPoint.Parse("10.9.8.7:40000"), Local, null, null, default, reason, null, TimeSpan.Zero);

    public static SessionEvent Io(Rule rule, IoDirection direction, byte[] payload) =>
        new(Time, rule, TransportProtocol.Tcp, SessionPhase.IoOperation, Client, Local, Outgoing, Target, default, EndReason.None, null, TimeSpan.Zero,
            direction, payload.Length, payload);

    /// <summary>TCP counters: bytes only.</summary>
    public static TrafficCounters Tcp(long toClient, long fromClient, long toTarget, long fromTarget) =>
        new(toClient, fromClient, toTarget, fromTarget, 0, 0, 0, 0);
}
