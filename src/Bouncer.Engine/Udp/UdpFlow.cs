using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// One UDP client address that a listener passed: admitted through <see cref="SessionAdmission"/>
/// like a TCP session, its own outgoing socket towards the target, and the counters and end of the
/// session. Its <see cref="UdpTargetSender"/> sends the client's datagrams on to the target and its
/// <see cref="UdpReplyRelay"/> carries the target's replies back. A live flow is a session: it counts against <c>session.max</c>.
/// </summary>
/// <remarks>
/// With <c>udp.connectdst: yes</c> (the default) the outgoing socket is connected to the target, so the
/// kernel drops datagrams from any other sender and nothing but the target's replies reaches the
/// client. With <c>no</c> the socket stays unconnected and datagrams from any address that reach it
/// are relayed to the client, for targets that answer from another address or port.
/// </remarks>
internal sealed class UdpFlow : ITrackedSession
{
    private readonly UdpListenSocket _listener;
    private readonly UdpRelay _relay;
    private readonly EngineServices _services;
    private byte[]? _first;
    private readonly int _firstLength;
    private UdpFlowState _state;
    private DatagramCounters _counters;
    private long _lastActivity;
    private SessionIdentity? _identity;
    private Socket? _outgoing;
    private DatagramWait? _outgoingWait;
    private UdpTargetSender? _sender;
    private UdpReplyRelay? _replies;
    private SessionLease? _lease;
    private BandwidthLimiter? _bandwidth;
    private bool _logIo;
    private bool _logPayload;

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

    public bool IsOpen => _state.IsOpen;

    public TrafficCounters Counters => _counters.Read();

    /// <summary>Whether datagrams must go one at a time, not in batches: throttled by the rule's bandwidth, or each one logged.</summary>
    public bool OneAtATime => _bandwidth is not null || _logIo;

    /// <summary>Decides, opens, forwards the first datagram, then relays replies until the flow ends.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (await OpenAndForwardFirstAsync(_services.Stopping).ConfigureAwait(false))
            {
                await _replies!.RunAsync(_services.Stopping).ConfigureAwait(false);
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
        _state.Discard();
        ReturnFirst();
        _relay.Budget.Release();
    }

    /// <summary>
    /// Sends one client datagram to the target. Called by the listener's receive loop with its own
    /// buffer, so the datagram is gone when this returns. Pending and closed flows drop it.
    /// </summary>
    public ValueTask ForwardFromClientAsync(ReadOnlyMemory<byte> datagram) =>
        IsOpen ? _sender!.SendAsync(datagram) : ValueTask.CompletedTask;

    /// <summary>
    /// Sends datagrams <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1
    /// of <paramref name="batch"/>, all from this client, to the target with one system call.
    /// Returns how many it dealt with; 0 leaves them to <see cref="ForwardFromClientAsync"/> one at a
    /// time: when the flow is not open, throttled or logs each datagram, or the send buffer is full.
    /// </summary>
    public int ForwardFromClient(DatagramBatch batch, int start, int count) =>
        IsOpen && !OneAtATime ? _sender!.Send(batch, start, count) : 0;

    /// <summary>A datagram of <paramref name="bytes"/> arrived, from the client or the target by <paramref name="direction"/>: the flow is not idle.</summary>
    public void Received(IoDirection direction, int bytes)
    {
        Touch();
        _counters.Received(direction, bytes);
    }

    /// <summary>A datagram was sent on, to the target or the client by <paramref name="direction"/>.</summary>
    public void Delivered(IoDirection direction, ReadOnlySpan<byte> datagram)
    {
        _counters.Delivered(direction, datagram.Length);
        if (_logIo)
        {
            _services.Events.Io(_identity!, Outgoing, Target, direction, datagram, _logPayload);
        }
    }

    /// <summary>
    /// Ends the flow (<see cref="UdpFlowState"/>): the first call reports, later ones do nothing. A
    /// flow that never opened was blocked, refused or failed: flood-prone, so its event is rate-limited.
    /// </summary>
    public void Close(EndReason reason, string? detail = null)
    {
        if (!_state.TryClose(out var wasOpen))
        {
            return;
        }

        _listener.Remove(this);
        CloseOutgoing();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
        _relay.Budget.Release();
        if (_identity is null)
        {
            // Stopped before the rules decided: nothing to report, as for TCP.
            return;
        }

        var statistics = _services.Statistics.For(_identity.Rule);
        if (!wasOpen)
        {
            statistics.NotOpened(reason);
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
        var admission = _services.Admission;
        var decision = await admission.DecideAsync(_relay.Key, Client, Local, _listener.MatchEndPoint, stopping).ConfigureAwait(false);
        _identity = decision.Identity;
        var outcome = await admission.CheckAsync(decision, stopping).ConfigureAwait(false);
        if (!outcome.IsAdmitted)
        {
            Close(outcome.Refusal, outcome.Detail);
            return false;
        }

        _lease = outcome.Lease;
        var rule = decision.Rule;
        var settings = decision.Settings;
        var target = await admission.ChooseTargetAsync(decision, stopping).ConfigureAwait(false);
        if (!target.Found)
        {
            Close(EndReason.RemotePeerError, target.Detail);
            return false;
        }

        Target = target.Target;
        _bandwidth = _services.Limits.BandwidthFor(rule);
        OpenOutgoing(rule, settings, target.Target, target.Source);
        _logIo = _services.Events.WantsIo(rule, settings.Debug);
        _logPayload = _services.Events.WantsData(rule, settings.Debug);
        if (!_state.TryOpen())
        {
            // Terminated while the decision was under way; Close may not have seen the socket.
            CloseOutgoing();
            Interlocked.Exchange(ref _lease, null)?.Dispose();
            return false;
        }

        _services.Statistics.For(rule).Opened();
        _services.Events.Opened(_identity, Outgoing!, target.Target);
        return true;
    }

    private void OpenOutgoing(Rule rule, Settings settings, IPEndPoint target, IPAddress? source)
    {
        var connect = settings.UdpConnectDestination;
        var outgoing = UdpSockets.CreateOutgoing(target, source, settings.SamePort ? Client.Port : 0, connect, rule, settings);
        _services.Descriptors.Check(outgoing);
        _outgoing = outgoing;
        _outgoingWait = DatagramWait.For(outgoing, _services);
        SocketOptionWarnings.ReportForRule(_services.Warnings, rule, UdpSockets.ApplyOptions(outgoing, SocketSide.External, settings, rule), "outgoing side");

        Outgoing = (IPEndPoint?)outgoing.LocalEndPoint;

        // Unconnected, each datagram names the target and each reply's sender is read.
        _sender = new UdpTargetSender(this, outgoing, connect ? null : target.Serialize(), _bandwidth, _services.Segmentation);
        _replies = new UdpReplyRelay(this, _listener, outgoing, _outgoingWait, connect ? null : new SocketAddress(target.AddressFamily), _bandwidth, _services.Options.DatagramBatches);
    }

    /// <summary>The wait first: closing the socket would not end a wait on an epoll loop.</summary>
    private void CloseOutgoing()
    {
        _outgoingWait?.Dispose();
        _outgoing?.Dispose();
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
