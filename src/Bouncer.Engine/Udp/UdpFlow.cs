using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// One UDP client address that a listener passed: the first-match decision and limits, its own
/// outgoing socket towards the target, the counters of the session, and the loop that relays the
/// target's replies back to the client through the listener socket (so they come from the address
/// and port the client sent to). A live flow is a session: it counts against <c>session.max</c>.
/// </summary>
/// <remarks>
/// With <c>udp.connectdst: yes</c> (the default) the outgoing socket is connected to the target, so the
/// kernel drops datagrams from any other sender and nothing but the target's replies reaches the
/// client. With <c>no</c> the socket stays unconnected and datagrams from any address that reach it
/// are relayed to the client, for targets that answer from another address or port.
/// </remarks>
internal sealed class UdpFlow : ITrackedSession
{
    private const int Pending = 0;
    private const int Open = 1;
    private const int Closed = 2;

    /// <summary>Replies relayed one at a time per wake-up at most, so one busy flow cannot hold its thread for long.</summary>
    private const int MaxRepliesPerWakeUp = 64;

    private readonly UdpListenSocket _listener;
    private readonly UdpRelay _relay;
    private readonly EngineServices _services;
    private byte[]? _first;
    private readonly int _firstLength;
    private int _state;
    private long _lastActivity;
    private SessionIdentity? _identity;
    private Socket? _outgoing;
    private SocketAddress? _targetAddress;
    private SocketAddress? _peerAddress;
    private SessionLease? _lease;
    private BandwidthLimiter? _bandwidth;
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

    /// <param name="first">The first datagram, in a rented array that the flow returns.</param>
    public UdpFlow(UdpListenSocket listener, UdpRelay relay, SocketAddress key, IPEndPoint client, byte[] first, int firstLength)
    {
        _listener = listener;
        _relay = relay;
        _services = relay.Services;
        _lastActivity = _services.Time.GetMilliseconds();
        Key = key;
        Client = client;
        _first = first;
        _firstLength = firstLength;
    }

    /// <summary>The client's address as the listener socket reports it; the flow table's key.</summary>
    public SocketAddress Key { get; }

    public IPEndPoint Client { get; }

    /// <summary>The address and port the client sent to.</summary>
    public IPEndPoint Local => _listener.LocalEndPoint;

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

    /// <summary>Decides, opens, forwards the first datagram, then relays replies until the flow ends.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (await OpenAndForwardFirstAsync(_services.Stopping).ConfigureAwait(false))
            {
                await RelayRepliesAsync(_services.Stopping).ConfigureAwait(false);
            }
        }
        finally
        {
            // Every way out ends the flow; after a close this does nothing.
            Close(EndReason.AdministrativeTermination);
        }
    }

    /// <summary>Ends the flow when it has been idle for its rule's <c>timeout.io.udp</c> (0 = never).</summary>
    public void Sweep(long now)
    {
        var timeout = _identity?.Rule.Timeouts.IoUdp ?? TimeSpan.Zero;
        if (IsOpen && timeout > TimeSpan.Zero && now - Volatile.Read(ref _lastActivity) >= (long)timeout.TotalMilliseconds)
        {
            Close(EndReason.IoTimeout);
        }
    }

    public void Terminate(EndReason reason) => Close(reason);

    public LiveSession? Describe(long now) =>
        IsOpen && _identity is { } identity
            ? identity.Live(Outgoing, Target, now - Volatile.Read(ref _lastActivity), Counters)
            : null;

    /// <summary>Gives back what a flow that never ran holds (its first datagram and flow slot).</summary>
    public void Discard()
    {
        Interlocked.Exchange(ref _state, Closed);
        ReturnFirst();
        _relay.Budget.Release();
    }

    /// <summary>
    /// Sends one client datagram to the target. Called by the listener's receive loop with its own
    /// buffer, so the datagram is gone when this returns. Pending and closed flows drop it.
    /// </summary>
    /// <remarks>
    /// Not an async method: a UDP send nearly always completes at once, and then nothing is
    /// allocated, not even a state machine (async methods are classes in Debug builds). Only a send
    /// that has to wait goes through <see cref="AwaitSendToTargetAsync"/>.
    /// </remarks>
    public ValueTask ForwardFromClientAsync(ReadOnlyMemory<byte> datagram)
    {
        if (Volatile.Read(ref _state) != Open)
        {
            return ValueTask.CompletedTask;
        }

        CountFromClient(datagram.Length);
        if (_bandwidth is not null && !_bandwidth.TryReserve(datagram.Length))
        {
            // Over the rule's bandwidth: drop rather than wait, because waiting here would stall
            // the listener's receive loop for every other client.
            return ValueTask.CompletedTask;
        }

        ValueTask<int> sending;
        try
        {
            sending = _targetAddress is null
                ? _outgoing!.SendAsync(datagram, SocketFlags.None)
                : _outgoing!.SendToAsync(datagram, SocketFlags.None, _targetAddress);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            SendToTargetFailed(e);
            return ValueTask.CompletedTask;
        }

        if (sending.IsCompletedSuccessfully)
        {
            SentToTarget(datagram.Span[..sending.Result]);
            return ValueTask.CompletedTask;
        }

        return AwaitSendToTargetAsync(sending, datagram);
    }

    /// <summary>
    /// Sends datagrams <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1
    /// of <paramref name="batch"/>, all from this client, to the target with one system call.
    /// Returns how many it dealt with; 0 leaves them to <see cref="ForwardFromClientAsync"/> one at a
    /// time: when the flow is not open, throttled or logs each datagram, or the send buffer is full.
    /// </summary>
    public int ForwardFromClient(DatagramBatch batch, int start, int count)
    {
        if (Volatile.Read(ref _state) != Open || _bandwidth is not null || _logIo)
        {
            return 0;
        }

        int sent;
        try
        {
            sent = batch.Send(_outgoing!, _targetAddress, start, count);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            CountFromClient(batch.Length(start));
            SendToTargetFailed(e);
            return 1;
        }

        for (var i = start; i < start + sent; i++)
        {
            CountFromClient(batch.Length(i));
            CountToTarget(batch.Length(i));
        }

        return sent;
    }

    private void Close(EndReason reason, string? detail = null)
    {
        var previous = Interlocked.Exchange(ref _state, Closed);
        if (previous == Closed)
        {
            return;
        }

        _listener.Remove(this);
        _outgoing?.Dispose();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
        _relay.Budget.Release();
        if (_identity is null)
        {
            // Stopped before the rules decided: nothing to report, as for TCP.
            return;
        }

        var statistics = _services.Statistics.For(_identity.Rule);
        if (previous == Pending)
        {
            statistics.NotOpened(reason);

            // Blocked, over a limit, or failed before it opened: flood-prone, so rate-limited.
            _relay.PublishRejected(_identity, Target, reason, detail);
            return;
        }

        statistics.Closed(Counters);
        _services.Events.Closed(_identity, Outgoing, Target, Counters, reason, detail);
    }

    private async ValueTask<bool> OpenAndForwardFirstAsync(CancellationToken stopping)
    {
        try
        {
            if (!await OpenAsync(stopping).ConfigureAwait(false))
            {
                return false;
            }

            await ForwardFromClientAsync(_first!.AsMemory(0, _firstLength)).ConfigureAwait(false);
            return IsOpen;
        }
        catch (OperationCanceledException)
        {
            Close(EndReason.AdministrativeTermination);
            return false;
        }
        catch (SocketException e)
        {
            // Opening the outgoing socket (or the first send) failed. Out of descriptors is this
            // host's state, reported once per interval for the process; anything else is the path's.
            var failure = SocketErrorClassifier.Classify(e);
            if (failure.Kind == FailureKind.ResourceLimit)
            {
                ResourceShortageNotice.Report(_services.Warnings, $"opening the outgoing udp socket of {_identity?.Rule.Label}", failure.Detail);
                Close(EndReason.LocalResourceLimit, failure.Detail);
            }
            else
            {
                Close(EndReason.RemotePeerError, failure.Detail);
            }

            return false;
        }
        finally
        {
            ReturnFirst();
        }
    }

    private async ValueTask<bool> OpenAsync(CancellationToken stopping)
    {
        var settings = _relay.CurrentSettings;
        var rule = await _services.Matcher.MatchAsync(_relay.CurrentRules, TransportProtocol.Udp, Client, _listener.MatchEndPoint, stopping)
            .ConfigureAwait(false);
        _identity = new SessionIdentity(rule, TransportProtocol.Udp, Client, Local, _services.Time);
        if (rule.Verdict == Verdict.Block)
        {
            Close(EndReason.Blocked);
            return false;
        }

        var sourceHostProblem = await _services.SourceHosts.RefusalAsync(settings.SourceHostChecks, Client.Address, stopping)
            .ConfigureAwait(false);
        if (sourceHostProblem is not null)
        {
            Close(EndReason.Blocked, sourceHostProblem);
            return false;
        }

        if (!TryAdmit(rule))
        {
            return false;
        }

        var target = rule.Target is null ? null : await _relay.Targets.ResolveAsync(rule.Target, Local, stopping).ConfigureAwait(false);
        if (target is null)
        {
            Close(EndReason.RemotePeerError, rule.Target?.Hostname is { } name ? $"Host not found: {name}" : "No bounce target");
            return false;
        }

        Target = target;
        OpenOutgoing(rule, settings, target);
        _bandwidth = _services.Limits.BandwidthFor(rule);
        _logIo = _services.Events.WantsIo(rule, settings.Debug);
        _logPayload = _services.Events.WantsData(rule, settings.Debug);
        if (Interlocked.CompareExchange(ref _state, Open, Pending) != Pending)
        {
            // Terminated while the decision was under way; Close may not have seen the socket.
            _outgoing?.Dispose();
            Interlocked.Exchange(ref _lease, null)?.Dispose();
            return false;
        }

        _services.Statistics.For(rule).Opened();
        _services.Events.Opened(_identity, Outgoing!, target);
        return true;
    }

    private bool TryAdmit(Rule rule)
    {
        var limiter = _services.Limits.LimiterFor(rule);
        var refusal = limiter?.TryAcquire(Client.Address, _services.Time.GetMilliseconds()) ?? LimitRefusal.None;
        if (refusal != LimitRefusal.None)
        {
            _services.Warnings.Warning(
                $"limit:{rule.Label}:{refusal}",
                $"{rule.Label}: {refusal.Describe()} reached, refusing udp client {Client.Address}");
            Close(EndReason.SessionLimitReached, refusal.Describe());
            return false;
        }

        _lease = new SessionLease(limiter, Client.Address);
        return true;
    }

    private void OpenOutgoing(Rule rule, Settings settings, IPEndPoint target)
    {
        var connect = settings.UdpConnectDestination;
        var source = SourceAddressSelector.Select(rule, settings, Local.Address, target.AddressFamily);
        var outgoing = UdpSockets.CreateOutgoing(target, source, settings.SamePort ? Client.Port : 0, connect, rule, settings);
        _services.Descriptors.Check(outgoing);
        _outgoing = outgoing;
        SocketOptionWarnings.ReportForRule(_services.Warnings, rule, UdpSockets.ApplyOptions(outgoing, SocketSide.External, settings, rule), "outgoing side");

        if (!connect)
        {
            _targetAddress = target.Serialize();
            _peerAddress = new SocketAddress(target.AddressFamily);
        }

        Outgoing = (IPEndPoint?)outgoing.LocalEndPoint;
    }

    private async ValueTask AwaitSendToTargetAsync(ValueTask<int> sending, ReadOnlyMemory<byte> datagram)
    {
        try
        {
            var sent = await sending.ConfigureAwait(false);
            SentToTarget(datagram.Span[..sent]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            SendToTargetFailed(e);
        }
    }

    private void SentToTarget(ReadOnlySpan<byte> sent)
    {
        CountToTarget(sent.Length);
        if (_logIo)
        {
            _services.Events.Io(_identity!, Outgoing, Target, IoDirection.ClientToTarget, sent, _logPayload);
        }
    }

    private void SendToTargetFailed(Exception exception)
    {
        if (UdpSocketErrors.IsClosed(exception))
        {
            // Closed under the send: the flow has already ended.
            return;
        }

        // A connected socket reports an earlier ICMP error (port unreachable) on the next send.
        var error = exception is SocketException socketException ? socketException.SocketErrorCode : SocketError.SocketError;
        Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(error));
    }

    /// <summary>
    /// Relays the target's replies until the flow ends. Between bursts it waits with a zero-byte
    /// peek, so an idle flow holds no 64 KiB buffer, which matters with tens of thousands of flows.
    /// One async method for the whole loop: its state machine is allocated once, not per datagram.
    /// </summary>
    private async Task RelayRepliesAsync(CancellationToken stopping)
    {
        var socket = _outgoing!;

        // Non-blocking, so a receive with nothing queued returns WouldBlock instead of waiting.
        socket.Blocking = false;
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

                // Batches need a connected socket (the default): with udp.connectdst: no, each
                // reply's sender is read one at a time, which keeps that rarer path simple.
                var drained = _services.Options.DatagramBatches && _peerAddress is null
                    ? await RelayQueuedBatchesAsync(socket, stopping).ConfigureAwait(false)
                    : await RelayQueuedOneByOneAsync(socket, stopping).ConfigureAwait(false);
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
            Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
        catch (Exception e) when (UdpSocketErrors.IsClosed(e))
        {
            // Closed by the sweep, by stopping, or after an error on the client side.
            Close(EndReason.AdministrativeTermination);
        }
        catch (SocketException e)
        {
            Close(EndReason.RemotePeerError, UdpSocketErrors.Describe(e.SocketErrorCode));
        }
    }

    /// <summary>
    /// Takes the replies that are queued, a batch per system call, and sends each batch to the
    /// client with one more: two system calls for a burst instead of two per reply. Returns
    /// whether it took all that were queued (false: it stopped after <see cref="DatagramBatch.MaxPerWakeUp"/>).
    /// </summary>
    private async ValueTask<bool> RelayQueuedBatchesAsync(Socket socket, CancellationToken stopping)
    {
        var batch = DatagramBatchPool.Rent();
        try
        {
            for (var batches = 0; batches < DatagramBatch.MaxPerWakeUp && IsOpen; batches++)
            {
                var received = batch.Receive(socket);
                var next = _bandwidth is null && !_logIo ? SendBatchToClient(batch, received) : 0;

                // Throttled or logged replies, and any the send buffer had no room for, go one at a time.
                for (var i = next; i < received && IsOpen; i++)
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
                sent = _listener.SendToClient(batch, done, count - done, Key);
            }
            catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
            {
                // The client's side is unreachable for now; UDP may lose a datagram, the flow carries on.
                CountFromTarget(batch.Length(done));
                done++;
                continue;
            }

            if (sent == 0)
            {
                break;
            }

            for (var i = done; i < done + sent; i++)
            {
                CountFromTarget(batch.Length(i));
                CountToClient(batch.Length(i));
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
    private async ValueTask<bool> RelayQueuedOneByOneAsync(Socket socket, CancellationToken stopping)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UdpSockets.DatagramBufferSize);
        try
        {
            // The peek saw a datagram, so the first receive completes at once.
            var received = _peerAddress is null
                ? await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false)
                : await ReceiveFromAnyAsync(socket, buffer).ConfigureAwait(false);
            for (var relayed = 1; ; relayed++)
            {
                await RelayReplyAsync(buffer.AsMemory(0, received), stopping).ConfigureAwait(false);
                if (relayed == MaxRepliesPerWakeUp)
                {
                    return false;
                }

                if (!IsOpen || !TryReceiveQueued(socket, buffer, out received))
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
    private bool TryReceiveQueued(Socket socket, byte[] buffer, out int received)
    {
        received = 0;
        if (_peerAddress is not null)
        {
            return false;
        }

        received = socket.Receive(buffer, SocketFlags.None, out var error);
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
        CountFromTarget(reply.Length);
        if (_bandwidth?.Reserve(reply.Length) is { } wait && wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _services.Time, stopping).ConfigureAwait(false);
        }

        try
        {
            await _listener.SendToClientAsync(reply, Key).ConfigureAwait(false);
        }
        catch (SocketException e) when (UdpSocketErrors.IsTransient(e.SocketErrorCode))
        {
            // The client's side is unreachable for now; UDP may lose a datagram, the flow carries on.
            return;
        }

        CountToClient(reply.Length);
        if (_logIo)
        {
            _services.Events.Io(_identity!, Outgoing, Target, IoDirection.TargetToClient, reply.Span, _logPayload);
        }
    }

    private void CountFromClient(int bytes)
    {
        Touch();
        Count(ref _packetsFromClient, ref _bytesFromClient, bytes);
    }

    private void CountFromTarget(int bytes)
    {
        Touch();
        Count(ref _packetsFromTarget, ref _bytesFromTarget, bytes);
    }

    private void CountToTarget(int bytes) => Count(ref _packetsToTarget, ref _bytesToTarget, bytes);

    private void CountToClient(int bytes) => Count(ref _packetsToClient, ref _bytesToClient, bytes);

    private static void Count(ref long packets, ref long bytes, int datagramLength)
    {
        Interlocked.Increment(ref packets);
        Interlocked.Add(ref bytes, datagramLength);
    }

    /// <summary>With <c>udp.connectdst: no</c>: a reply from any address (the sender is not checked).</summary>
    private ValueTask<int> ReceiveFromAnyAsync(Socket socket, byte[] buffer)
    {
        var peer = _peerAddress!;
        peer.Size = peer.Buffer.Length;
        return socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, peer);
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _services.Time.GetMilliseconds());

    private void ReturnFirst()
    {
        if (Interlocked.Exchange(ref _first, null) is { } first)
        {
            ArrayPool<byte>.Shared.Return(first);
        }
    }
}
