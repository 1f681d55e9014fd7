using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// One UDP listener of the rule table: the socket (or, for a wildcard address, the sockets) that
/// receive from all clients, the flows of the clients it passed, and the sweep that ends idle flows.
/// </summary>
internal sealed class UdpRelay : IAsyncDisposable
{
    private const int RejectedNoticesPerSecond = 20;

    private readonly CancellationTokenSource _stopping = new();
    private readonly OwnedTasks _tasks = new();
    private readonly ConcurrentQueue<UdpListenSocket> _sockets = new();
    private readonly NoticeThrottle _rejectedNotices = new(RejectedNoticesPerSecond, TimeSpan.FromSeconds(1));
    private Listener _listener;
    private Settings _settings;
    private UdpWildcardSocket? _wildcard;
    private int _started;
    private int _stopped;

    public UdpRelay(Listener listener, Settings settings, UdpRelayContext context)
    {
        if (listener.Protocol != TransportProtocol.Udp)
        {
            throw new ArgumentException($"{listener} is not a UDP listener", nameof(listener));
        }

        _listener = listener;
        _settings = settings;
        Context = context;
    }

    public UdpRelayContext Context { get; }

    /// <summary>The listener's current rules; replaced on reload, while live flows keep the rule they matched.</summary>
    public Listener Listener => Volatile.Read(ref _listener);

    public Settings Settings => Volatile.Read(ref _settings);

    /// <summary>The bound address and port (the OS's port when the listener asked for port 0).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    public int FlowCount => _sockets.Sum(s => s.FlowCount);

    /// <summary>Binds the listener socket and starts receiving. A bind failure is a <see cref="ListenerBindException"/> and leaves nothing bound.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"{Listener} is already started");
        }

        var listener = Listener;
        var endpoint = listener.Endpoint;
        Socket socket;
        try
        {
            socket = UdpSockets.CreateListener(endpoint.ToIPEndPoint(), listener.FreeBind, shared: endpoint.IsWildcard);
        }
        catch (SocketException e)
        {
            var rules = string.Join(", ", listener.Rules.Select(r => r.Label));
            throw new ListenerBindException($"cannot listen on udp {endpoint} ({rules}): {e.Message}", e);
        }

        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (endpoint.IsWildcard)
        {
            _wildcard = new UdpWildcardSocket(socket, this, endpoint.Port);
            _tasks.Add(_wildcard.ReceiveLoopAsync(_stopping.Token));
        }
        else
        {
            AddSocket(new UdpListenSocket(socket, this, endpoint.Port));
        }

        _tasks.Add(SweepLoopAsync(_stopping.Token));
    }

    /// <summary>Takes a reloaded table's version of this listener; flows keep the rule they matched.</summary>
    public void Update(Listener listener, Settings settings)
    {
        if (listener.Key != Listener.Key)
        {
            throw new ArgumentException($"{listener} is not {Listener}", nameof(listener));
        }

        Volatile.Write(ref _listener, listener);
        Volatile.Write(ref _settings, settings);
    }

    /// <summary>Closes the listener sockets, ends every flow with "administrative termination" and waits for all loops.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await _tasks.WhenAllAsync().ConfigureAwait(false);
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _wildcard?.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        foreach (var socket in _sockets)
        {
            foreach (var flow in socket.Flows)
            {
                flow.Close(EndReason.AdministrativeTermination);
            }
        }

        await _tasks.WhenAllAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Registers a listener socket and starts its receive loop.</summary>
    internal void AddSocket(UdpListenSocket socket)
    {
        _sockets.Enqueue(socket);
        if (Volatile.Read(ref _stopped) != 0)
        {
            socket.Dispose();
            return;
        }

        _tasks.Add(socket.ReceiveLoopAsync(_stopping.Token));
    }

    /// <summary>Awaited on stop: a flow's loop, started by a listener socket.</summary>
    internal void Own(Task task) => _tasks.Add(task);

    /// <summary>
    /// A client that was blocked, hit a limit, or failed before its flow opened. Each such datagram
    /// would be an event, so a flood is cut to a sample per second plus a count (see the sweep).
    /// </summary>
    internal void PublishRejected(Rule rule, IPEndPoint client, IPEndPoint local, EndReason reason, string? detail)
    {
        if (!_rejectedNotices.TryPass())
        {
            return;
        }

        Context.Events.Publish(new SessionEvent(
            DateTimeOffset.UtcNow,
            rule,
            TransportProtocol.Udp,
            SessionPhase.Closed,
            client,
            local,
            null,
            null,
            default,
            reason,
            detail,
            TimeSpan.Zero));
    }

    private async Task SweepLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Context.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Ends idle flows and reports how many rejections were not published.</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var socket in _sockets)
        {
            foreach (var flow in socket.Flows)
            {
                flow.Sweep(now);
            }
        }

        var suppressed = _rejectedNotices.TakeSuppressed();
        if (suppressed > 0)
        {
            Context.Log.Info($"udp {LocalEndPoint}: {suppressed} more datagrams from blocked or refused clients were not reported");
        }
    }
}
