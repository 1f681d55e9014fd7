using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Net;
using Bouncer.Engine.Tcp;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// Opens the outgoing TCP connection of an admitted session: bind the chosen source address (and,
/// with <c>compatibility: sameport</c>, the client's source port when free), apply the
/// <c>external.*</c> socket options, then connect within <c>timeout.connect</c>.
/// Failures come back as a <see cref="ConnectResult"/>, never as exceptions.
/// </summary>
internal sealed class TcpConnector
{
    /// <summary>
    /// The longest delay a timer takes (2^32 - 2 ms, 49.7 days). The rule language accepts longer
    /// connect timeouts; they need no timer, because the kernel abandons an unanswered connect
    /// after its SYN retries (about two minutes) long before.
    /// </summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly RateLimitedLog _warnings;
    private readonly DescriptorHeadroom _descriptors;
    private readonly bool _keepAlive;
    private readonly ConnectTimeouts _timeouts;
    private readonly TcpTransport _transport;

    public TcpConnector(RateLimitedLog warnings, DescriptorHeadroom descriptors, bool keepAlive, TimeProvider time, TcpTransport transport)
    {
        _transport = transport;
        _timeouts = new ConnectTimeouts(time);
        _warnings = warnings;
        _descriptors = descriptors;
        _keepAlive = keepAlive;
    }

    /// <param name="target">The target <see cref="Sessions.SessionAdmission"/> chose.</param>
    /// <param name="source">The source address it chose, or null to let the system choose.</param>
    public async ValueTask<ConnectResult> ConnectAsync(
        Rule rule,
        Settings settings,
        IPEndPoint client,
        TcpChannel clientChannel,
        IPEndPoint target,
        IPAddress? source,
        CancellationToken stopping)
    {
        OutgoingTcpSocket socket;
        try
        {
            socket = _transport.Open(target.AddressFamily);
            _descriptors.Check(socket.Handle, socket);
        }
        catch (SocketException exception)
        {
            // Out of descriptors: this session ends, the host's state is logged once per interval.
            var failure = SocketErrorClassifier.Classify(exception);
            return new ConnectResult(null, target, null, LocalFailure(rule, failure), failure.Detail);
        }

        try
        {
            Prepare(socket, rule, settings, source);
            BindSource(socket, source, settings.SamePort ? client.Port : 0);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            var failure = SocketErrorClassifier.Classify(exception);
            return new ConnectResult(null, target, null, LocalFailure(rule, failure), $"cannot bind source address: {failure.Detail}");
        }

        try
        {
            // The clock only starts for a connect that has to be waited for.
            var channel = _transport.StartConnect(socket, target, clientChannel);
            if (channel is null)
            {
                using var timeout = _timeouts.Start(rule.Timeouts.Connect <= LongestTimer ? rule.Timeouts.Connect : TimeSpan.Zero, stopping);
                channel = await _transport.FinishConnectAsync(socket, target, clientChannel, timeout.Token).ConfigureAwait(false);
            }

            // The session asks the channel for its own address when something will show it.
            return new ConnectResult(channel, target, null, EndReason.None, null);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            var outgoing = socket.LocalEndPoint;
            socket.Dispose();
            if (stopping.IsCancellationRequested)
            {
                return new ConnectResult(null, target, outgoing, EndReason.AdministrativeTermination, null);
            }

            if (exception is OperationCanceledException)
            {
                return new ConnectResult(null, target, outgoing, EndReason.ConnectTimeout, null);
            }

            var failure = SocketErrorClassifier.Classify(exception);
            return new ConnectResult(null, target, outgoing, LocalFailure(rule, failure), failure.Detail);
        }
    }

    /// <summary>
    /// The end reason of a failure on our side of the outgoing connection: a local resource limit
    /// (reported once per interval for the whole process), otherwise the target's or the path's fault.
    /// </summary>
    private EndReason LocalFailure(Rule rule, NetworkFailure failure)
    {
        if (failure.Kind != FailureKind.ResourceLimit)
        {
            return EndReason.RemotePeerError;
        }

        ResourceShortageNotice.Report(_warnings, $"opening the outgoing tcp socket of {rule.Label}", failure.Detail);
        return EndReason.LocalResourceLimit;
    }

    private static void BindSource(OutgoingTcpSocket outgoing, IPAddress? source, int samePort)
    {
        if (samePort > 0)
        {
            var socket = outgoing.Socket;
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(source ?? AnyOf(socket.AddressFamily), samePort));
                return;
            }
            catch (SocketException)
            {
                // The client's port is taken on this address: fall back to any port, as Barefoot does.
            }
        }

        if (source is not null)
        {
            RawSocketOptions.TrySetBindAddressNoPort(outgoing.Socket);
            outgoing.Socket.Bind(new IPEndPoint(source, 0));
        }
    }

    private static IPAddress AnyOf(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    /// <remarks>
    /// The defaults go straight onto the descriptor; a rule's own options need the socket as a
    /// <see cref="Socket"/> object, which only such a rule pays for. The defaults come first, so a
    /// rule's <c>so_keepalive: 0</c> still turns keep-alive off.
    /// </remarks>
    private void Prepare(OutgoingTcpSocket socket, Rule rule, Settings settings, IPAddress? source)
    {
        socket.SetDefaults(_keepAlive);
        if (source is not null && HasFreeBind(settings, rule))
        {
            RawSocketOptions.TrySetFreeBind(socket.Socket);
        }

        if (SocketOptionApplier.HasWork(SocketSide.External, keepAlive: false, settings.SocketOptions, rule.SocketOptions))
        {
            var failed = SocketOptionApplier.Apply(socket.Socket, SocketSide.External, keepAlive: false, settings.SocketOptions, rule.SocketOptions);
            SocketOptionWarnings.ReportForRule(_warnings, rule, failed, "outgoing side");
        }
    }

    private static bool HasFreeBind(Settings settings, Rule rule) =>
        settings.SocketOptions.Concat(rule.SocketOptions)
            .Any(o => o.Side == SocketSide.External && o.Kind == SocketOptionKind.FreeBind && o.Value != 0);
}
