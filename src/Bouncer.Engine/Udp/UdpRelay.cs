using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Sessions;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// One UDP listener of the rule table: the socket (or, for a wildcard address, the sockets) that
/// receive from all clients, and the flows of the clients it passed. Flows are sessions of the
/// engine's <see cref="SessionTracker"/>, which sweeps them for <c>timeout.io.udp</c>. Unlike a TCP
/// listener, closing a UDP listener ends its flows: their replies can only leave through it.
/// </summary>
internal sealed class UdpRelay : IListenerService
{
    private const int RejectedEventsPerSecond = 20;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly OwnedTasks _receiveLoops;
    private readonly ConcurrentQueue<UdpListenSocket> _sockets = new();
    private readonly NoticeThrottle _rejectedEvents;
    private UdpWildcardSocket? _wildcard;
    private int _stopped;

    public UdpRelay(ListenerKey key, Socket boundSocket, EngineServices services, UdpFlowBudget budget)
    {
        if (key.Protocol != TransportProtocol.Udp)
        {
            throw new ArgumentException($"{key} is not a UDP listener", nameof(key));
        }

        Key = key;
        _socket = boundSocket;
        Services = services;
        Budget = budget;
        _rejectedEvents = new NoticeThrottle(RejectedEventsPerSecond, TimeSpan.FromSeconds(1), services.Time);
        _receiveLoops = new OwnedTasks(failure => services.Warnings.Warning(
            $"udp:loop:{key}", $"udp {key.Endpoint}: a receive loop failed unexpectedly and stopped: {failure}"));
        LocalEndPoint = (IPEndPoint)boundSocket.LocalEndPoint!;
    }

    public ListenerKey Key { get; }

    public EngineServices Services { get; }

    public UdpFlowBudget Budget { get; }

    /// <summary>The bound address and port (the OS's port when the listener asked for port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Live flows of this listener.</summary>
    public int FlowCount => _sockets.Sum(s => s.FlowCount);

    public Settings CurrentSettings => Services.CurrentListeners().Table?.Settings ?? Settings.Defaults;

    public void Start()
    {
        UdpSockets.PrepareListener(_socket);
        SocketOptionWarnings.ReportForListener(Services.Warnings, Key, UdpSockets.ApplyOptions(_socket, SocketSide.Internal, CurrentSettings, null));

        if (Key.Endpoint.IsWildcard)
        {
            _wildcard = new UdpWildcardSocket(_socket, this, Key.Endpoint.Port);
            _receiveLoops.Add(_wildcard.ReceiveLoopAsync(_stopping.Token));
        }
        else
        {
            AddSocket(new UdpListenSocket(_socket, this, Key.Endpoint.Port));
        }
    }

    /// <summary>Closes the listener sockets, ends every flow with "administrative termination" and waits for the receive loops.</summary>
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        foreach (var socket in _sockets)
        {
            foreach (var flow in socket.Flows)
            {
                flow.Terminate(EndReason.AdministrativeTermination);
            }
        }

        await _receiveLoops.WhenAllAsync().ConfigureAwait(false);
        ReportSuppressedRejections();
        _stopping.Dispose();
    }

    /// <summary>Registers a listener socket and starts its receive loop.</summary>
    internal void AddSocket(UdpListenSocket socket)
    {
        _sockets.Enqueue(socket);
        if (Volatile.Read(ref _stopped) != 0)
        {
            socket.Dispose();
            return;
        }

        _receiveLoops.Add(socket.ReceiveLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// The Closed event of a client that was blocked, hit a limit, or failed before its flow opened.
    /// Each such datagram would be an event, so a flood is cut to a sample per second; the number
    /// left out is logged when the next one passes.
    /// </summary>
    internal void PublishRejected(SessionIdentity identity, IPEndPoint? target, EndReason reason, string? detail)
    {
        if (!_rejectedEvents.TryPass())
        {
            return;
        }

        Services.Events.Closed(identity, null, target, default, reason, detail);
        ReportSuppressedRejections();
    }

    private void ReportSuppressedRejections()
    {
        var suppressed = _rejectedEvents.TakeSuppressed();
        if (suppressed > 0)
        {
            Services.Warnings.Warning($"udp:rejected:{Key}", $"udp {Key.Endpoint}: {suppressed} more datagrams from blocked or refused clients were not reported");
        }
    }
}
