using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// One UDP client address that a listener passed: its own outgoing socket towards the target, the
/// counters of the session, and the loop that relays the target's replies back to the client
/// through the listener socket (so they come from the address and port the client sent to).
/// </summary>
/// <remarks>
/// With <c>udp.connectdst: yes</c> (the default) the outgoing socket is connected to the target, so the
/// kernel drops datagrams from any other sender and nothing but the target's replies reaches the
/// client. With <c>no</c> the socket stays unconnected and datagrams from any address that reach it
/// are relayed to the client, as Barefoot does for targets that answer from another address.
/// </remarks>
internal sealed class UdpFlow
{
    private const int Pending = 0;
    private const int Open = 1;
    private const int Closed = 2;

    private readonly UdpListenSocket _listener;
    private readonly UdpRelay _relay;
    private readonly UdpRelayContext _context;
    private int _state;
    private long _lastActivity = Environment.TickCount64;
    private DateTimeOffset _openedAt;
    private Socket? _outgoing;
    private SocketAddress? _targetAddress;
    private SocketAddress? _peerAddress;
    private IDisposable? _lease;
    private IBandwidthGate? _bandwidth;
    private bool _logIo;
    private bool _logPayload;
    private long _bytesToClient;
    private long _bytesFromClient;
    private long _bytesToTarget;
    private long _bytesFromTarget;
    private long _packetsToClient;
    private long _packetsFromClient;
    private long _packetsToTarget;
    private long _packetsFromTarget;

    public UdpFlow(UdpListenSocket listener, UdpRelay relay, SocketAddress key, IPEndPoint client)
    {
        _listener = listener;
        _relay = relay;
        _context = relay.Context;
        Key = key;
        Client = client;
    }

    /// <summary>The client's address as the listener socket reports it; the flow table's key.</summary>
    public SocketAddress Key { get; }

    public IPEndPoint Client { get; }

    /// <summary>The address and port the client sent to.</summary>
    public IPEndPoint Local => _listener.LocalEndPoint;

    /// <summary>The rule that decided; null while the decision is pending.</summary>
    public Rule? Rule { get; private set; }

    public IPEndPoint? Outgoing { get; private set; }

    public IPEndPoint? Target { get; private set; }

    public bool IsOpen => Volatile.Read(ref _state) == Open;

    public TrafficCounters Counters => new(
        Volatile.Read(ref _bytesToClient),
        Volatile.Read(ref _bytesFromClient),
        Volatile.Read(ref _bytesToTarget),
        Volatile.Read(ref _bytesFromTarget),
        Volatile.Read(ref _packetsToClient),
        Volatile.Read(ref _packetsFromClient),
        Volatile.Read(ref _packetsToTarget),
        Volatile.Read(ref _packetsFromTarget));

    /// <summary>Milliseconds since the last datagram in either direction.</summary>
    public long IdleMilliseconds(long now) => now - Volatile.Read(ref _lastActivity);

    /// <summary>
    /// Decides, opens and then relays replies until the flow ends. <paramref name="first"/> is the
    /// first datagram, copied out of the listener's buffer into a rented array this method returns.
    /// </summary>
    public async Task RunAsync(byte[] first, int length, CancellationToken stopping)
    {
        try
        {
            var opened = await OpenAsync(stopping).ConfigureAwait(false);
            if (!opened)
            {
                return;
            }

            await ForwardFromClientAsync(first.AsMemory(0, length)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException || UdpSocketErrors.IsClosed(e))
        {
            Close(EndReason.RemotePeerError, DescribeFailure(e));
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(first);
        }

        await RelayRepliesAsync(stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one client datagram to the target. Called by the listener's receive loop with its own
    /// buffer, so the datagram is gone when this returns. Pending and closed flows drop it.
    /// </summary>
    public ValueTask ForwardFromClientAsync(ReadOnlyMemory<byte> datagram)
    {
        if (Volatile.Read(ref _state) != Open)
        {
            return ValueTask.CompletedTask;
        }

        Touch();
        Interlocked.Increment(ref _packetsFromClient);
        Interlocked.Add(ref _bytesFromClient, datagram.Length);
        if (_bandwidth is not null && !_bandwidth.TryTake(datagram.Length))
        {
            // Over the rule's bandwidth: drop rather than wait, because waiting here would stall
            // the listener's receive loop for every other client.
            return ValueTask.CompletedTask;
        }

        return SendToTargetAsync(datagram);
    }

    /// <summary>Called periodically: ends the flow when it has been idle for its rule's <c>timeout.io.udp</c> (0 = never).</summary>
    public void Sweep(long now)
    {
        var timeout = Rule?.Timeouts.IoUdp ?? TimeSpan.Zero;
        if (IsOpen && timeout > TimeSpan.Zero && IdleMilliseconds(now) >= (long)timeout.TotalMilliseconds)
        {
            Close(EndReason.IoTimeout);
        }
    }

    /// <summary>Ends the flow once; later calls do nothing. Publishes the Closed event.</summary>
    public void Close(EndReason reason, string? detail = null)
    {
        var previous = Interlocked.Exchange(ref _state, Closed);
        if (previous == Closed)
        {
            return;
        }

        _listener.Remove(this);
        _outgoing?.Dispose();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
        _context.Budget.Release();

        var rule = Rule ?? Rules.Model.Rule.ImplicitBlock;
        if (previous == Pending)
        {
            // Blocked, over a limit, or failed before it opened: flood-prone, so rate-limited.
            _relay.PublishRejected(rule, Client, Local, reason, detail);
            return;
        }

        Publish(SessionPhase.Closed, reason, detail, DateTimeOffset.UtcNow - _openedAt);
    }

    private async ValueTask<bool> OpenAsync(CancellationToken stopping)
    {
        var listener = _relay.Listener;
        var settings = _relay.Settings;
        var policy = _context.Policy;
        var rule = await policy.MatchAsync(listener, Client, _listener.MatchEndPoint, stopping).ConfigureAwait(false);
        Rule = rule;
        if (rule.Verdict == Verdict.Block)
        {
            Close(EndReason.Blocked);
            return false;
        }

        _lease = policy.TryAdmit(rule, Client.Address);
        if (_lease is null)
        {
            Close(EndReason.SessionLimitReached);
            return false;
        }

        var target = await policy.ResolveTargetAsync(rule, Local, stopping).ConfigureAwait(false);
        if (target is null)
        {
            Close(EndReason.RemotePeerError, "target name does not resolve");
            return false;
        }

        var connect = settings.UdpConnectDestination;
        var source = policy.ChooseSource(rule, settings, Local, target);
        var outgoing = UdpSockets.CreateOutgoing(target, source, connect);
        _outgoing = outgoing;
        if (!connect)
        {
            _targetAddress = target.Serialize();
            _peerAddress = new SocketAddress(target.AddressFamily);
        }

        Target = target;
        Outgoing = (IPEndPoint?)outgoing.LocalEndPoint;
        _bandwidth = policy.GetBandwidth(rule);
        _logIo = (rule.Log & (LogEvents.IoOperation | LogEvents.Data)) != 0 || _context.Options.Debug > 0 || settings.Debug > 0;
        _logPayload = (rule.Log & LogEvents.Data) != 0;
        _openedAt = DateTimeOffset.UtcNow;
        if (Interlocked.CompareExchange(ref _state, Open, Pending) != Pending)
        {
            // Closed (stopping) while the decision was under way; Close saw the socket or we dispose it.
            outgoing.Dispose();
            Interlocked.Exchange(ref _lease, null)?.Dispose();
            return false;
        }

        Publish(SessionPhase.Opened, EndReason.None, null, TimeSpan.Zero);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendToTargetAsync(ReadOnlyMemory<byte> datagram)
    {
        var socket = _outgoing!;
        try
        {
            var sent = _targetAddress is null
                ? await socket.SendAsync(datagram, SocketFlags.None).ConfigureAwait(false)
                : await socket.SendToAsync(datagram, SocketFlags.None, _targetAddress).ConfigureAwait(false);
            Interlocked.Increment(ref _packetsToTarget);
            Interlocked.Add(ref _bytesToTarget, sent);
            if (_logIo)
            {
                PublishIo(IoDirection.ClientToTarget, datagram.Span[..sent]);
            }
        }
        catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
        {
            // A connected socket reports an earlier ICMP error (port unreachable) on the next send.
            Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
        catch (Exception e) when (UdpSocketErrors.IsClosed(e))
        {
            // Closed under the send: the flow has already ended.
        }
    }

    /// <summary>
    /// Relays the target's replies until the flow ends. Between datagrams it waits with a zero-byte
    /// peek, so an idle flow holds no 64 KiB buffer, which matters with tens of thousands of flows.
    /// One async method for the whole loop: its state machine is allocated once, not per datagram.
    /// </summary>
    private async Task RelayRepliesAsync(CancellationToken stopping)
    {
        var socket = _outgoing!;
        try
        {
            while (!stopping.IsCancellationRequested && IsOpen)
            {
                try
                {
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    // Windows reports a datagram larger than the (empty) peek buffer this way: one is waiting.
                }

                var buffer = ArrayPool<byte>.Shared.Rent(UdpSockets.DatagramBufferSize);
                try
                {
                    var received = _peerAddress is null
                        ? await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false)
                        : await ReceiveFromAnyAsync(socket, buffer).ConfigureAwait(false);
                    Touch();
                    Interlocked.Increment(ref _packetsFromTarget);
                    Interlocked.Add(ref _bytesFromTarget, received);
                    if (_bandwidth is not null)
                    {
                        await _bandwidth.TakeAsync(received, stopping).ConfigureAwait(false);
                    }

                    if (await _listener.SendToClientAsync(buffer.AsMemory(0, received), Key).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref _packetsToClient);
                        Interlocked.Add(ref _bytesToClient, received);
                        if (_logIo)
                        {
                            PublishIo(IoDirection.TargetToClient, buffer.AsSpan(0, received));
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
        {
            // The target's port is closed (ICMP port unreachable) or its host is gone: this flow
            // ends, the listener and every other flow carry on.
            Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
        catch (Exception e) when (UdpSocketErrors.IsClosed(e))
        {
            // Closed by the sweep, by an error on the client side, or by stopping.
        }
        catch (SocketException e)
        {
            Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
    }

    /// <summary>With <c>udp.connectdst: no</c>: a reply from any address (the sender is not checked).</summary>
    private ValueTask<int> ReceiveFromAnyAsync(Socket socket, byte[] buffer)
    {
        var peer = _peerAddress!;
        peer.Size = peer.Buffer.Length;
        return socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, peer);
    }

    private void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    private void Publish(SessionPhase phase, EndReason reason, string? detail, TimeSpan duration) =>
        _context.Events.Publish(new SessionEvent(
            DateTimeOffset.UtcNow,
            Rule!,
            TransportProtocol.Udp,
            phase,
            Client,
            Local,
            Outgoing,
            Target,
            Counters,
            reason,
            detail,
            duration));

    private void PublishIo(IoDirection direction, ReadOnlySpan<byte> datagram) =>
        _context.Events.Publish(new SessionEvent(
            DateTimeOffset.UtcNow,
            Rule!,
            TransportProtocol.Udp,
            SessionPhase.IoOperation,
            Client,
            Local,
            Outgoing,
            Target,
            Counters,
            EndReason.None,
            null,
            DateTimeOffset.UtcNow - _openedAt,
            direction,
            datagram.Length,
            _logPayload ? datagram.ToArray() : ReadOnlyMemory<byte>.Empty));

    private static string DescribeFailure(Exception exception) => exception switch
    {
        SocketException socketException => UdpSocketErrors.Describe(socketException.SocketErrorCode),
        _ => exception.Message,
    };
}
