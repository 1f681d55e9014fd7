using System.Diagnostics;
using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Engine.State;
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

    /// <param name="idleMilliseconds">Since the last byte moved, in <see cref="Environment.TickCount64"/> units.</param>
    public LiveSession Live(IPEndPoint? outgoing, IPEndPoint? target, long idleMilliseconds, TrafficCounters counters) =>
        new(Rule, Protocol, Client, Local, outgoing, target, Stopwatch.GetElapsedTime(StartedAt), TimeSpan.FromMilliseconds(Math.Max(0, idleMilliseconds)), counters);
}
