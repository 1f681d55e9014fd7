using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The loop that relays an open <see cref="UdpFlow"/>'s replies: it reads what the target sends
/// to the flow's outgoing socket and sends it to the client through the listener socket, so the
/// client hears from the address and port it sent to. Counting, logging and ending the flow are
/// the flow's; this type only moves datagrams and tells the flow what happened.
/// </summary>
internal sealed class UdpReplyRelay
{
    /// <summary>Replies relayed one at a time per wake-up at most, so one busy flow cannot hold its thread for long.</summary>
    private const int MaxRepliesPerWakeUp = 64;

    private readonly UdpFlow _flow;
    private readonly UdpListenSocket _listener;
    private readonly Socket _socket;
    private readonly DatagramWait _wait;
    private readonly SocketAddress? _anySender;
    private readonly BandwidthLimiter? _bandwidth;
    private readonly bool _batches;

    /// <param name="socket">The flow's outgoing socket.</param>
    /// <param name="wait">How <paramref name="socket"/> is waited on; the flow disposes it before the socket.</param>
    /// <param name="anySender">With <c>udp.connectdst: no</c>, where the sender of each reply is read into; null for a connected socket.</param>
    /// <param name="batches">Whether replies may be taken and sent a batch per system call.</param>
    public UdpReplyRelay(UdpFlow flow, UdpListenSocket listener, Socket socket, DatagramWait wait, SocketAddress? anySender, BandwidthLimiter? bandwidth, bool batches)
    {
        _flow = flow;
        _listener = listener;
        _socket = socket;
        _wait = wait;
        _anySender = anySender;
        _bandwidth = bandwidth;
        _batches = batches;
    }

    /// <summary>
    /// Relays the target's replies until the flow ends. Between bursts it waits without a buffer
    /// (<see cref="DatagramWait"/>), so an idle flow holds no 64 KiB, which matters with tens of
    /// thousands of flows. One async method for the whole loop: its state machine is allocated
    /// once, not per datagram.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // Non-blocking, so a receive with nothing queued returns WouldBlock instead of waiting.
        _socket.Blocking = false;
        try
        {
            var drained = true;
            while (!stopping.IsCancellationRequested && _flow.IsOpen)
            {
                try
                {
                    if (drained)
                    {
                        await _wait.WaitAsync().ConfigureAwait(false);
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    // Windows reports a datagram larger than the (empty) peek buffer this way: one is waiting.
                }

                // Batches need a connected socket (the default): with udp.connectdst: no, each
                // reply's sender is read one at a time, which keeps that rarer path simple.
                drained = _batches && _anySender is null
                    ? await RelayQueuedBatchesAsync(stopping).ConfigureAwait(false)
                    : await RelayQueuedOneByOneAsync(stopping).ConfigureAwait(false);
                if (!drained)
                {
                    // Still more queued: give the other sockets of this thread their turn.
                    await Task.Yield();
                }
            }
        }
        catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
        {
            // The target's port is closed (ICMP port unreachable) or its host is gone: this flow
            // ends, the listener and every other flow carry on.
            _flow.Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
        catch (Exception e) when (UdpSocketErrors.IsClosed(e))
        {
            // Closed by the sweep, by stopping, or after an error on the client side.
            _flow.Close(EndReason.AdministrativeTermination);
        }
        catch (SocketException e)
        {
            _flow.Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
    }

    /// <summary>
    /// Takes the replies that are queued, a batch per system call, and sends each batch to the
    /// client with one more: two system calls for a burst instead of two per reply. Returns
    /// whether it took all that were queued (false: it stopped after <see cref="DatagramBatch.MaxPerWakeUp"/>).
    /// </summary>
    private async ValueTask<bool> RelayQueuedBatchesAsync(CancellationToken stopping)
    {
        var batch = DatagramBatchPool.Rent();
        try
        {
            for (var batches = 0; batches < DatagramBatch.MaxPerWakeUp && _flow.IsOpen; batches++)
            {
                var received = batch.Receive(_socket);
                var next = _flow.OneAtATime ? 0 : SendBatchToClient(batch, received);

                // Throttled or logged replies, and any the send buffer had no room for, go one at a time.
                for (var i = next; i < received && _flow.IsOpen; i++)
                {
                    await RelayReplyAsync(batch.Payload(i), stopping).ConfigureAwait(false);
                }

                if (received < DatagramBatch.Capacity)
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            DatagramBatchPool.Return(batch);
        }
    }

    /// <summary>
    /// Sends replies 0 to <paramref name="count"/> - 1 of <paramref name="batch"/> to the client
    /// without waiting and counts them; returns how many it dealt with (sent, or lost to an error
    /// about the client's side). The rest found the send buffer full.
    /// </summary>
    private int SendBatchToClient(DatagramBatch batch, int count)
    {
        var done = 0;
        while (done < count)
        {
            int sent;
            try
            {
                sent = _listener.SendToClient(batch, done, count - done, _flow.Key);
            }
            catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
            {
                // The client's side is unreachable for now; UDP may lose a datagram, the flow carries on.
                _flow.Received(IoDirection.TargetToClient, batch.Length(done));
                done++;
                continue;
            }

            if (sent == 0)
            {
                break;
            }

            for (var i = done; i < done + sent; i++)
            {
                _flow.Received(IoDirection.TargetToClient, batch.Length(i));
                _flow.Delivered(IoDirection.TargetToClient, batch.Payload(i).Span);
            }

            done += sent;
        }

        return done;
    }

    /// <summary>
    /// Relays the replies that are queued, one system call each: up to <see cref="MaxRepliesPerWakeUp"/>
    /// with plain non-blocking receives before the next peek, which saves the trip through epoll
    /// per datagram. Returns whether it took all that were queued.
    /// </summary>
    private async ValueTask<bool> RelayQueuedOneByOneAsync(CancellationToken stopping)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UdpSockets.DatagramBufferSize);
        try
        {
            // The peek saw a datagram, so the first receive completes at once.
            var received = _anySender is null
                ? await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false)
                : await ReceiveFromAnyAsync(buffer).ConfigureAwait(false);
            for (var relayed = 1; ; relayed++)
            {
                await RelayReplyAsync(buffer.AsMemory(0, received), stopping).ConfigureAwait(false);
                if (relayed == MaxRepliesPerWakeUp)
                {
                    return false;
                }

                if (!_flow.IsOpen || !TryReceiveQueued(buffer, out received))
                {
                    return true;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Receives a reply that is already queued, without waiting. Only on a connected socket (the
    /// default): with <c>udp.connectdst: no</c> every reply goes through the peek.
    /// </summary>
    private bool TryReceiveQueued(byte[] buffer, out int received)
    {
        received = 0;
        if (_anySender is not null)
        {
            return false;
        }

        received = _socket.Receive(buffer, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            return false;
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }

        return true;
    }

    /// <summary>Sends one reply to the client and counts it. Completes synchronously unless throttled or the send has to wait.</summary>
    private async ValueTask RelayReplyAsync(ReadOnlyMemory<byte> reply, CancellationToken stopping)
    {
        _flow.Received(IoDirection.TargetToClient, reply.Length);
        if (_bandwidth?.Reserve(reply.Length) is { } wait && wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _bandwidth.Time, stopping).ConfigureAwait(false);
        }

        try
        {
            await _listener.SendToClientAsync(reply, _flow.Key).ConfigureAwait(false);
        }
        catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
        {
            // The client's side is unreachable for now; UDP may lose a datagram, the flow carries on.
            return;
        }

        _flow.Delivered(IoDirection.TargetToClient, reply.Span);
    }

    /// <summary>With <c>udp.connectdst: no</c>: a reply from any address (the sender is not checked).</summary>
    private ValueTask<int> ReceiveFromAnyAsync(byte[] buffer)
    {
        var peer = _anySender!;
        peer.Size = peer.Buffer.Length;
        return _socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, peer);
    }
}
