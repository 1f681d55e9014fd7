using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Net;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.State;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// The engine-wide services every session uses, whatever its protocol. Built once by
/// <see cref="BouncerEngine"/>; sessions hold a reference instead of a dozen parameters.
/// </summary>
internal sealed record EngineServices(
    EngineOptions Options,
    Func<ListenerSnapshot> CurrentListeners,
    RuleMatcher Matcher,
    INameResolver Resolver,
    LimitRegistry Limits,
    SessionEventPublisher Events,
    SessionTracker Tracker,
    RateLimitedLog Warnings,
    CancellationToken Stopping)
{
    /// <summary>The engine's clock (<see cref="EngineOptions.Time"/>).</summary>
    public TimeProvider Time => Options.Time;

    /// <summary>How TCP sessions and UDP flows alike are decided, checked and sent on their way; names through the engine's resolver.</summary>
    public SessionAdmission Admission { get; init; } =
        new(CurrentListeners, Matcher, new SourceHostCheck(Resolver), Limits, Warnings, new TargetResolver(Resolver), Options.Time);

    /// <summary>Per-rule counters for the state dump; a property with a default so test harnesses need not build one.</summary>
    public RuleStatisticsRegistry Statistics { get; init; } = new();

    /// <summary>How TCP sessions connect and wait (<see cref="EngineOptions.TcpTransport"/>).</summary>
    public Tcp.TcpTransport Transport { get; init; } = Options.TcpTransport == TcpTransportKind.Epoll
        ? Epoll.EpollTcpTransport.Shared
        : Tcp.SocketTcpTransport.Instance;

    /// <summary>Whether datagram batches send runs as one message (<see cref="EngineOptions.DatagramSegmentation"/>); a refusal is said once.</summary>
    public Udp.DatagramSegmentation Segmentation { get; } =
        new(Options.DatagramSegmentation, message => Warnings.Warning("udp:segmentation", message));

    /// <summary>The descriptors kept free for the runtime; tests replace it to simulate a low limit.</summary>
    public DescriptorHeadroom Descriptors { get; init; } = DescriptorHeadroom.ForThisProcess;
}
