using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Udp;

/// <summary>
/// A listener socket bound to one local address and port: it receives from every client, keeps
/// the flows of the clients that reached it, and sends the targets' replies back from its own
/// address and port.
/// </summary>
/// <remarks>
/// The steady-state path allocates nothing per datagram: one receive buffer per socket, one reused
/// <see cref="SocketAddress"/> for the sender, flow lookup by that address (SocketAddress compares and
/// hashes its bytes), and the flows keyed by a clone made once per new client.
/// </remarks>
internal sealed class UdpListenSocket : IDisposable
{
    private static readonly IPEndPoint EndPointFactory = new(IPAddress.Any, 0);

    private readonly Socket _socket;
    private readonly UdpRelay _relay;
    private readonly DatagramWait _wait;
    private readonly ConcurrentDictionary<SocketAddress, UdpFlow> _flows = new();

    public UdpListenSocket(Socket socket, UdpRelay relay, int matchPort)
    {
        _socket = socket;
        _relay = relay;

        // Replies are sent synchronously and must not block the flow's thread (see SendToClientAsync).
        _socket.Blocking = false;
        _wait = DatagramWait.For(socket, relay.Services);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        MatchEndPoint = new IPEndPoint(LocalEndPoint.Address, matchPort);
    }

    /// <summary>The address and port clients reach, as bound.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The local endpoint rules are matched against: the listener's configured port (which is 0 when the OS chose one).</summary>
    public IPEndPoint MatchEndPoint { get; }

    public ICollection<UdpFlow> Flows => _flows.Values;

    public int FlowCount => _flows.Count;

    /// <summary>Receives until the socket is closed. Errors caused by one peer are skipped.</summary>
    public Task ReceiveLoopAsync(CancellationToken stopping) =>
        _relay.Services.Options.DatagramBatches ? ReceiveBatchesAsync(stopping) : ReceiveOneByOneAsync(stopping);

    /// <summary>
    /// Waits until a datagram is queued (<see cref="DatagramWait"/>), then takes what is queued, a
    /// batch per system call. Datagrams of one client that arrived one after another go to its
    /// flow's socket in one call too. Between bursts the socket holds no buffer.
    /// </summary>
    private async Task ReceiveBatchesAsync(CancellationToken stopping)
    {
        var from = new SocketAddress(_socket.AddressFamily);
        var drained = true;
        while (!stopping.IsCancellationRequested)
        {
            var batch = default(DatagramBatch);
            try
            {
                if (drained)
                {
                    await _wait.WaitAsync().ConfigureAwait(false);
                }

                drained = true;
                batch = DatagramBatchPool.Rent();
                var batches = 0;
                do
                {
                    var received = batch.Receive(_socket);
                    await DispatchAsync(batch, received, from, stopping).ConfigureAwait(false);
                    drained = received < DatagramBatch.Capacity;
                }
                while (!drained && ++batches < DatagramBatch.MaxPerWakeUp);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!UdpSocketErrors.ListenerSurvives(e, _relay.Services.Warnings, LocalEndPoint))
                {
                    return;
                }
            }
            finally
            {
                if (batch is not null)
                {
                    DatagramBatchPool.Return(batch);
                }
            }

            if (!drained)
            {
                // Still more queued (a flood): give the other sockets of this thread their turn.
                await Task.Yield();
            }
        }
    }

    /// <summary>Hands the first <paramref name="received"/> datagrams of <paramref name="batch"/> to their flows, a run of one client's datagrams at a time.</summary>
    private async ValueTask DispatchAsync(DatagramBatch batch, int received, SocketAddress from, CancellationToken stopping)
    {
        var next = 0;
        while (next < received)
        {
            batch.CopySender(next, from);
            var run = batch.RunFromSameSender(next, received);
            var forwarded = run > 1 && _flows.TryGetValue(from, out var flow) ? flow.ForwardFromClient(batch, next, run) : 0;
            if (forwarded == 0)
            {
                await DispatchAsync(batch.Payload(next), from, stopping).ConfigureAwait(false);
                forwarded = 1;
            }

            next += forwarded;
        }
    }

    private async Task ReceiveOneByOneAsync(CancellationToken stopping)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(UdpSockets.DatagramBufferSize, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        while (!stopping.IsCancellationRequested)
        {
            int received;
            try
            {
                from.Size = from.Buffer.Length;
                received = await _socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (UdpSocketErrors.ListenerSurvives(e, _relay.Services.Warnings, LocalEndPoint))
                {
                    continue;
                }

                return;
            }

            await DispatchAsync(buffer.AsMemory(0, received), from, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands one client datagram to its flow, or starts a flow for a new client. <paramref name="from"/>
    /// is only read; a new flow keeps a clone.
    /// </summary>
    public ValueTask DispatchAsync(ReadOnlyMemory<byte> datagram, SocketAddress from, CancellationToken stopping)
    {
        if (_flows.TryGetValue(from, out var flow))
        {
            return flow.ForwardFromClientAsync(datagram);
        }

        StartFlow(datagram, from, stopping);
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends a reply to a client from this socket's address and port.</summary>
    /// <remarks>
    /// Many flows send through this one socket at once, and the async send keeps a single cached
    /// SocketAsyncEventArgs per socket: every send that finds it taken allocates a new one. A
    /// synchronous send on the non-blocking socket needs none and is one system call; only a send
    /// the kernel cannot take now (the send buffer is full) takes the async path.
    /// </remarks>
    public ValueTask<int> SendToClientAsync(ReadOnlyMemory<byte> datagram, SocketAddress client)
    {
        try
        {
            return ValueTask.FromResult(_socket.SendTo(datagram.Span, SocketFlags.None, client));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            return _socket.SendToAsync(datagram, SocketFlags.None, client);
        }
    }

    /// <summary>
    /// Sends datagrams <paramref name="start"/> on of <paramref name="batch"/> to a client from this
    /// socket's address and port, without waiting; returns how many left (0: the send buffer is full).
    /// </summary>
    public int SendToClient(DatagramBatch batch, int start, int count, SocketAddress client) =>
        batch.Send(_socket, client, start, count, _relay.Services.Segmentation);

    public void Remove(UdpFlow flow) => _flows.TryRemove(KeyValuePair.Create(flow.Key, flow));

    public void Dispose()
    {
        _wait.Dispose();
        _socket.Dispose();
    }

    private void StartFlow(ReadOnlyMemory<byte> datagram, SocketAddress from, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested || !_relay.Budget.TryAcquire())
        {
            return;
        }

        var key = Clone(from);
        var client = (IPEndPoint)EndPointFactory.Create(key);

        // The listener's buffer is reused for the next datagram, so the first one travels in its own.
        var first = ArrayPool<byte>.Shared.Rent(Math.Max(datagram.Length, 1));
        datagram.CopyTo(first);
        var flow = new UdpFlow(this, _relay, key, client, first, datagram.Length);
        if (!_flows.TryAdd(key, flow))
        {
            // A second receive loop (the wildcard's) added this client a moment ago.
            flow.Discard();
            return;
        }

        // Runs synchronously up to its first wait, so a plain match opens the flow before the next datagram.
        _relay.Services.Tracker.Run(flow);
    }

    private static SocketAddress Clone(SocketAddress address)
    {
        var clone = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(clone.Buffer.Span);
        return clone;
    }
}
