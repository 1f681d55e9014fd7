using System.Diagnostics;
using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>Who a session is: its rule, protocol and client side, and when it started.</summary>
internal sealed record SessionIdentity(Rule Rule, TransportProtocol Protocol, IPEndPoint Client, IPEndPoint Local)
{
    public long StartedAt { get; } = Stopwatch.GetTimestamp();

    public SessionEvent Event(
        SessionPhase phase,
        IPEndPoint? outgoing,
        IPEndPoint? target,
        TrafficCounters counters,
        EndReason reason,
        string? detail) =>
        new(DateTimeOffset.UtcNow, Rule, Protocol, phase, Client, Local, outgoing, target, counters, reason, detail, Stopwatch.GetElapsedTime(StartedAt));
}
