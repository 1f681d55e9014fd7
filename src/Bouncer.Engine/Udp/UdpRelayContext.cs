using Bouncer.Engine.Events;

namespace Bouncer.Engine.Udp;

/// <summary>What every UDP relay of one engine shares: where events and notices go, the session policy and the global flow cap.</summary>
internal sealed class UdpRelayContext
{
    public UdpRelayContext(EngineOptions options, ISessionEventSink events, IEngineLog log, IUdpSessionPolicy policy)
    {
        Options = options;
        Events = events;
        Log = log;
        Policy = policy;
        Budget = new UdpFlowBudget(options.MaxUdpFlows, log);
    }

    public EngineOptions Options { get; }

    public ISessionEventSink Events { get; }

    public IEngineLog Log { get; }

    public IUdpSessionPolicy Policy { get; }

    public UdpFlowBudget Budget { get; }

    /// <summary>
    /// How often idle flows are looked for. One sweep per listener and interval costs a walk over its
    /// flows, instead of a timer per flow that every datagram would have to reset.
    /// </summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);
}
