using System.Net;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One accepted TCP connection from start to end (design §2.6, §3): first-match decision, block
/// or pass, <c>srchost</c> checks, session limits, the outgoing connect, the splice, and the
/// Closed event with exact byte counts. Every way out raises exactly one Closed event.
/// </summary>
internal sealed class TcpSession : ITrackedSession
{
    private readonly EngineServices _services;
    private readonly TcpConnector _connector;
    private readonly ListenerKey _listener;
    private readonly TcpChannel _client;
    private readonly IPEndPoint? _boundLocal;
    private readonly CancellationTokenSource _connecting;
    private TcpSplice? _splice;
    private SessionIdentity? _identity;

    // The outgoing connection's own address: asked of the kernel (getsockname) only when an event
    // will show it, or a status listing does.
    private IPEndPoint? _outgoing;
    private TcpChannel? _outgoingChannel;
    private IPEndPoint? _target;
    private SessionLease? _lease;
    private int _terminateReason;

    /// <param name="boundLocal">The listener's own address when it is bound to one (not a wildcard): then every client reached it.</param>
    public TcpSession(EngineServices services, TcpConnector connector, ListenerKey listener, TcpChannel client, IPEndPoint? boundLocal)
    {
        _services = services;
        _connector = connector;
        _listener = listener;
        _client = client;
        _boundLocal = boundLocal;
        // Not linked to the engine's stop, a source every session would register on and leave:
        // the stop terminates every tracked session (RunAsync sees a stop that came first).
        _connecting = new CancellationTokenSource();
    }

    /// <remarks>
    /// The decision and the connect run in <see cref="AdmitAsync"/>, which has finished (and its
    /// state machine is garbage) by the time the splice starts: an idle session keeps only this
    /// method's frame and the splice's alive, which keeps the memory per idle connection down.
    /// </remarks>
    public async Task RunAsync()
    {
        try
        {
            if (_services.Stopping.IsCancellationRequested)
            {
                // Tracked only after the stop terminated every session it found.
                Terminate(EndReason.AdministrativeTermination);
            }

            var splice = await AdmitAsync().ConfigureAwait(false);
            if (splice is not null)
            {
                await splice.RunAsync().ConfigureAwait(false);

                // The place under session.max is free before the log says the session ended, as a
                // UDP flow's is: a client that reads the line and comes back is not refused.
                _lease?.Dispose();
                _services.Statistics.For(_identity!.Rule).Closed(splice.Counters);
                _services.Events.Closed(_identity!, _outgoing, _target, splice.Counters, splice.Reason, splice.Detail);
            }
        }
        finally
        {
            _lease?.Dispose();
            _client.Dispose();
            _connecting.Dispose();
        }
    }

    public void Sweep(long now) => Volatile.Read(ref _splice)?.Sweep(now);

    public LiveSession? Describe(long now)
    {
        var splice = Volatile.Read(ref _splice);
        if (splice is null || _identity is not { } identity)
        {
            return null;
        }

        // A race with the session's end leaves the address unknown (null), never a wrong one.
        _outgoing ??= _outgoingChannel?.LocalEndPoint;
        return identity.Live(_outgoing, _target, now - splice.LastActivity, splice.Counters);
    }

    public void Terminate(EndReason reason)
    {
        Interlocked.CompareExchange(ref _terminateReason, (int)reason, 0);
        var splice = Volatile.Read(ref _splice);
        if (splice is not null)
        {
            splice.Terminate(reason);
            return;
        }

        try
        {
            _connecting.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session has already ended.
        }
    }

    /// <summary>Decides, checks limits and connects; returns the splice to run, or null when the session already ended.</summary>
    private async ValueTask<TcpSplice?> AdmitAsync()
    {
        // A listener bound to one address spares the getsockname() a wildcard one needs.
        var remote = _client.RemoteEndPoint;
        var local = _boundLocal ?? (_client.LocalEndPoint is { } reached ? MappedAddress.Unmap(reached) : null);
        if (remote is null || local is null)
        {
            return null; // Gone between accept and now; there is nobody to report about.
        }

        var client = MappedAddress.Unmap(remote);

        SessionDecision decision;
        AdmissionOutcome admission;
        try
        {
            decision = await _services.Admission.DecideAsync(_listener, client, local, local, _connecting.Token).ConfigureAwait(false);
            _identity = decision.Identity;
            admission = await _services.Admission.CheckAsync(decision, _connecting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null; // Stopping while a name lookup was pending; the client was never admitted.
        }

        if (!admission.IsAdmitted)
        {
            Refuse(admission.Refusal, admission.Detail);
            return null;
        }

        _lease = admission.Lease;
        return await ConnectAsync(decision, client).ConfigureAwait(false);
    }

    private async ValueTask<TcpSplice?> ConnectAsync(SessionDecision decision, IPEndPoint client)
    {
        var identity = decision.Identity;
        var rule = decision.Rule;
        var settings = decision.Settings;

        // On Linux TCP_NODELAY and the engine's keep-alive came with the accept (AcceptedSocketDefaults).
        var inherited = AcceptedSocketDefaults.Inherited;
        if (!inherited)
        {
            _client.Socket.NoDelay = true;
        }

        // Only a rule with client-side options reads _client.Socket: an accepted epoll channel has
        // no Socket object and builds one then, so every other session is spared its cost.
        var keepAlive = !inherited && _services.Options.KeepAlive;
        if (SocketOptionApplier.HasWork(SocketSide.Internal, keepAlive, settings.SocketOptions, rule.SocketOptions))
        {
            var failedOption = SocketOptionApplier.Apply(_client.Socket, SocketSide.Internal, keepAlive, settings.SocketOptions, rule.SocketOptions);
            SocketOptionWarnings.ReportForRule(_services.Warnings, rule, failedOption, "client side");
        }

        // Inline rather than a helper method: one state machine less per connection.
        ConnectResult connected;
        try
        {
            var target = await _services.Admission.ChooseTargetAsync(decision, _connecting.Token).ConfigureAwait(false);
            connected = target.Found
                ? await _connector.ConnectAsync(rule, settings, client, _client, target.Target, target.Source, _connecting.Token).ConfigureAwait(false)
                : new ConnectResult(null, null, null, EndReason.RemotePeerError, target.Detail);
        }
        catch (OperationCanceledException)
        {
            // Stopping while the target's name was looked up (the connect itself reports stopping as its result).
            connected = new ConnectResult(null, null, null, EndReason.AdministrativeTermination, null);
        }

        // Nothing waits on the token any more: free the source now rather than keep it for the life
        // of the session. A Terminate from here on is caught by the _terminateReason check below
        // or reaches the splice.
        _connecting.Dispose();
        _outgoing = connected.Outgoing;
        _target = connected.Target;
        if (!connected.Connected)
        {
            _client.Reset();
            _lease?.Dispose();
            var reason = _terminateReason != 0 ? (EndReason)_terminateReason : connected.Reason;
            _services.Statistics.For(rule).NotOpened(reason);
            _services.Events.Closed(identity, _outgoing, _target, default, reason, connected.Detail);
            return null;
        }

        _outgoingChannel = connected.Channel;
        if (_services.Events.ShowsAddresses(rule, settings.Debug))
        {
            _outgoing = _outgoingChannel!.LocalEndPoint;
        }

        _services.Events.Opened(identity, _outgoing, _target!);
        _services.Statistics.For(rule).Opened();
        var wantsIo = _services.Events.WantsIo(rule, settings.Debug);
        var withPayload = _services.Events.WantsData(rule, settings.Debug);
        var bandwidth = _services.Limits.BandwidthFor(rule);
        var splice = new TcpSplice(
            _client,
            connected.Channel!,
            rule.Timeouts,
            _services.Time,
            bandwidth,
            wantsIo ? IoEvents(identity, withPayload) : null,
            bandwidth is null ? null : SlowedNotice(rule),
            _services.Options.KernelSplice ? _services.Descriptors : null);
        Volatile.Write(ref _splice, splice);
        if (_terminateReason != 0)
        {
            splice.Terminate((EndReason)_terminateReason);
        }

        return splice;
    }

    // The callbacks are made in methods of their own: a lambda in ConnectAsync would have the
    // compiler allocate its captured variables for every session, callbacks wanted or not.
    private Action<IoDirection, ReadOnlySpan<byte>> IoEvents(SessionIdentity identity, bool withPayload) =>
        (direction, data) => _services.Events.Io(identity, _outgoing, _target, direction, data, withPayload);

    private Action<BandwidthLimiter> SlowedNotice(Rule rule) =>
        limiter => _services.Warnings.Warning(
            $"bandwidth:{rule.Label}",
            $"{rule.Label}: bandwidth {limiter.BytesPerSecond} bytes/s reached, slowing its sessions");

    private void Refuse(EndReason reason, string? detail)
    {
        // "Close at once": a reset, so the refused client learns immediately and we keep no TIME_WAIT.
        _client.Reset();
        _services.Statistics.For(_identity!.Rule).NotOpened(reason);
        _services.Events.Closed(_identity, null, null, default, reason, detail);
    }
}
