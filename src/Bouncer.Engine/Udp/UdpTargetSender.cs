using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;

namespace Bouncer.Engine.Udp;

/// <summary>
/// Sends an open <see cref="UdpFlow"/>'s client datagrams on to the target through the flow's
/// outgoing socket, the way <see cref="UdpReplyRelay"/> carries the replies back. Counting,
/// logging and ending the flow are the flow's; this type only moves datagrams and tells the flow
/// what happened.
/// </summary>
internal sealed class UdpTargetSender
{
    private readonly UdpFlow _flow;
    private readonly Socket _socket;
    private readonly SocketAddress? _target;
    private readonly BandwidthLimiter? _bandwidth;
    private readonly DatagramSegmentation _segmentation;

    /// <param name="socket">The flow's outgoing socket.</param>
    /// <param name="target">With <c>udp.connectdst: no</c>, the target each datagram is addressed to; null for a connected socket.</param>
    public UdpTargetSender(UdpFlow flow, Socket socket, SocketAddress? target, BandwidthLimiter? bandwidth, DatagramSegmentation segmentation)
    {
        _flow = flow;
        _socket = socket;
        _target = target;
        _bandwidth = bandwidth;
        _segmentation = segmentation;
    }

    /// <summary>
    /// Sends one client datagram, which the caller's buffer holds only until this returns.
    /// Not an async method: a UDP send nearly always completes at once, and then nothing is
    /// allocated, not even a state machine (async methods are classes in Debug builds). Only a send
    /// that has to wait goes through <see cref="AwaitSendAsync"/>.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        _flow.Received(IoDirection.ClientToTarget, datagram.Length);
        if (_bandwidth is not null && !_bandwidth.TryReserve(datagram.Length))
        {
            // Over the rule's bandwidth: drop rather than wait, because waiting here would stall
            // the listener's receive loop for every other client.
            return ValueTask.CompletedTask;
        }

        ValueTask<int> sending;
        try
        {
            sending = _target is null
                ? _socket.SendAsync(datagram, SocketFlags.None)
                : _socket.SendToAsync(datagram, SocketFlags.None, _target);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Failed(e);
            return ValueTask.CompletedTask;
        }

        if (sending.IsCompletedSuccessfully)
        {
            _flow.Delivered(IoDirection.ClientToTarget, datagram.Span[..sending.Result]);
            return ValueTask.CompletedTask;
        }

        return AwaitSendAsync(sending, datagram);
    }

    /// <summary>
    /// Sends datagrams <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1
    /// of <paramref name="batch"/> with one system call, without throttling or logging; returns how
    /// many it dealt with (0: the send buffer is full).
    /// </summary>
    public int Send(DatagramBatch batch, int start, int count)
    {
        int sent;
        try
        {
            sent = batch.Send(_socket, _target, start, count, _segmentation);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _flow.Received(IoDirection.ClientToTarget, batch.Length(start));
            Failed(e);
            return 1;
        }

        for (var i = start; i < start + sent; i++)
        {
            _flow.Received(IoDirection.ClientToTarget, batch.Length(i));
            _flow.Delivered(IoDirection.ClientToTarget, batch.Payload(i).Span);
        }

        return sent;
    }

    private async ValueTask AwaitSendAsync(ValueTask<int> sending, ReadOnlyMemory<byte> datagram)
    {
        try
        {
            var sent = await sending.ConfigureAwait(false);
            _flow.Delivered(IoDirection.ClientToTarget, datagram.Span[..sent]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Failed(e);
        }
    }

    private void Failed(Exception exception)
    {
        if (UdpSocketErrors.IsClosed(exception))
        {
            // Closed under the send: the flow has already ended.
            return;
        }

        // A connected socket reports an earlier ICMP error (port unreachable) on the next send.
        var error = exception is SocketException socketException ? socketException.SocketErrorCode : SocketError.SocketError;
        _flow.Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(error));
    }
}
