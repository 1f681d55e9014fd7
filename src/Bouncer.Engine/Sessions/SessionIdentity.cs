using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>Who a session is: its rule, protocol and client side, and when it started (on the engine's clock).</summary>
internal sealed record SessionIdentity(Rule Rule, TransportProtocol Protocol, IPEndPoint Client, IPEndPoint Local, TimeProvider Time)
{
    public long StartedAt { get; } = Time.GetTimestamp();

    public SessionEvent Event(
        SessionPhase phase,
        IPEndPoint? outgoing,
        IPEndPoint? target,
        TrafficCounters counters,
        EndReason reason,
        string? detail) =>
        new(Time.GetUtcNow(), Rule, Protocol, phase, Client, Local, outgoing, target, counters, reason, detail, Time.GetElapsedTime(StartedAt));

    /// <param name="idleMilliseconds">Since the last byte moved, in <see cref="MonotonicTime"/> milliseconds.</param>
    public LiveSession Live(IPEndPoint? outgoing, IPEndPoint? target, long idleMilliseconds, TrafficCounters counters) =>
        new(Rule, Protocol, Client, Local, outgoing, target, Time.GetElapsedTime(StartedAt), TimeSpan.FromMilliseconds(Math.Max(0, idleMilliseconds)), counters);
}
