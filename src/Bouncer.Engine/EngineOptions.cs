namespace Bouncer.Engine;

/// <summary>Process-wide engine settings that come from the command line, not the rule file.</summary>
public sealed record EngineOptions
{
    /// <summary>TCP keep-alive on both legs (<c>-n</c> turns it off).</summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>Global cap on live UDP flows, against spoofed floods.</summary>
    public int MaxUdpFlows { get; init; } = 65536;

    /// <summary>
    /// The clock of every timeout, throttle, bandwidth wait, sweep and cache expiry; tests pass a
    /// fake one to step time instead of sleeping.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Forces every event of every rule to be raised, including the implicit block (<c>-d</c>).</summary>
    public int Debug { get; init; }

    /// <summary>
    /// How TCP sockets, and the UDP relay's batch loops, wait: <see cref="TcpTransportKind.Epoll"/>
    /// where the system has it (Linux), else <see cref="TcpTransportKind.Sockets"/>. The environment variable
    /// <c>BOUNCER_TCP_TRANSPORT=sockets</c> chooses the runtime's socket engine on Linux too, to
    /// rule the transport out when a fault is being chased (and so the test suite runs on both).
    /// </summary>
    public TcpTransportKind TcpTransport { get; init; } = DefaultTcpTransport();

    /// <summary>
    /// Whether the UDP relay moves datagrams in batches (<see cref="Udp.DatagramBatch"/>, Linux only).
    /// Tests turn it off to run the one-at-a-time path that other platforms take.
    /// </summary>
    internal bool DatagramBatches { get; init; } = Udp.DatagramBatch.IsSupported;

    /// <summary>
    /// Whether a batch sends a run of equal datagrams as one message (segmentation offload, see
    /// <see cref="Udp.DatagramBatch"/>) where the kernel has it. Tests turn it off to run the
    /// one-message-per-datagram path that older kernels take; <c>BOUNCER_UDP_SEGMENTATION=off</c>
    /// turns it off for the process, to rule it out when a fault is chased or to measure what it gives.
    /// </summary>
    internal bool DatagramSegmentation { get; init; } =
        !string.Equals(Environment.GetEnvironmentVariable("BOUNCER_UDP_SEGMENTATION"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a bulk TCP stream moves from socket to socket inside the kernel (<see cref="Epoll.SplicePipe"/>,
    /// epoll transport only). Tests turn it off to run the copying path that other platforms take.
    /// </summary>
    internal bool KernelSplice { get; init; } = true;

    private static TcpTransportKind DefaultTcpTransport() =>
        Epoll.EpollTcpTransport.IsSupported
        && !string.Equals(Environment.GetEnvironmentVariable("BOUNCER_TCP_TRANSPORT"), "sockets", StringComparison.OrdinalIgnoreCase)
            ? TcpTransportKind.Epoll
            : TcpTransportKind.Sockets;
}
