using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Sessions;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// Both directions of one TCP session and how it ends (design §3). A FIN on one side is passed on
/// as a half-close while the other direction keeps flowing; the session ends cleanly when both
/// directions have ended. A reset or error on one side resets the other (close with linger 0).
/// The idle and fin-wait timeouts are checked by the engine's sweep through <see cref="Sweep"/>,
/// not by a timer per read. The first reason to end wins; later failures (from our own close)
/// are ignored.
/// </summary>
/// <remarks>
/// An idle session keeps this object alive for as long as it lasts, so it is also what the session
/// awaits (<see cref="IValueTaskSource"/>): the two directions report their end to it, and no
/// state machine, <c>Task.WhenAll</c> or cancellation source is kept per session for that.
/// </remarks>
internal sealed class TcpSplice : IValueTaskSource
{
    private readonly TcpChannel _client;
    private readonly TcpChannel _target;
    private readonly SocketPump _upstream;
    private readonly SocketPump _downstream;
    private readonly long _idleTimeout;
    private readonly long _finWaitTimeout;
    private readonly Action<IoDirection, ReadOnlySpan<byte>>? _ioEvents;
    private readonly Action<BandwidthLimiter>? _onSlowed;
    private readonly TimeProvider _time;

    private readonly object _endGate = new();
    private ManualResetValueTaskSourceCore<bool> _completion;
    private int _directionsRunning = 2;
    private Exception? _unexpected;

    // Made on first use: only a bandwidth-limited send waits on it.
    private CancellationTokenSource? _ending;
    private long _lastActivity;
    private long _firstFinAt;
    private int _finsPassedOn;
    private int _ended;
    private EndReason _reason;
    private string? _detail;

    public TcpSplice(
        TcpChannel client,
        TcpChannel target,
        Timeouts timeouts,
        TimeProvider time,
        BandwidthLimiter? bandwidth,
        Action<IoDirection, ReadOnlySpan<byte>>? ioEvents,
        Action<BandwidthLimiter>? onSlowed,
        DescriptorHeadroom? spliceDescriptors)
    {
        _client = client;
        _target = target;
        _time = time;
        _lastActivity = time.GetMilliseconds();
        _idleTimeout = (long)timeouts.IoTcp.TotalMilliseconds;
        _finWaitTimeout = (long)timeouts.TcpFinWait.TotalMilliseconds;
        _ioEvents = ioEvents;
        _onSlowed = onSlowed;
        // Bytes the log shows or a limit meters must pass through the process.
        var splice = ioEvents is null && bandwidth is null ? spliceDescriptors : null;
        _upstream = new SocketPump(client, target, SessionSide.Client, this, bandwidth, splice);
        _downstream = new SocketPump(target, client, SessionSide.Target, this, bandwidth, splice);
    }

    /// <summary>Cancelled when the session is ending, to cut short waits that are not socket operations.</summary>
    public CancellationToken Ending
    {
        get
        {
            lock (_endGate)
            {
                return _ended != 0 ? new CancellationToken(canceled: true) : (_ending ??= new CancellationTokenSource()).Token;
            }
        }
    }

    public bool RaisesIoEvents => _ioEvents is not null;

    public TrafficCounters Counters => new(
        BytesToClient: _downstream.BytesWritten,
        BytesFromClient: _upstream.BytesRead,
        BytesToTarget: _upstream.BytesWritten,
        BytesFromTarget: _downstream.BytesRead,
        PacketsToClient: 0,
        PacketsFromClient: 0,
        PacketsToTarget: 0,
        PacketsFromTarget: 0);

    /// <summary>When data last moved, in <see cref="MonotonicTime"/> milliseconds.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Why the session ended; valid once <see cref="RunAsync"/> has completed.</summary>
    public EndReason Reason => _reason;

    public string? Detail => _detail;

    /// <summary>Runs both directions until the session has ended, then closes both sockets. Call once.</summary>
    public ValueTask RunAsync()
    {
        // Each loop reports its end through OnDirectionEnded; their tasks need not be kept.
        _ = _upstream.RunAsync();
        _ = _downstream.RunAsync();
        return new ValueTask(this, _completion.Version);
    }

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>Data moved: the session is not idle.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetMilliseconds());

    public void RaiseIo(IoDirection direction, ReadOnlySpan<byte> data) => _ioEvents?.Invoke(direction, data);

    public void OnSlowed(BandwidthLimiter limiter) => _onSlowed?.Invoke(limiter);

    /// <summary>A source sent FIN. The first one names who closed the session and starts the fin-wait clock.</summary>
    public void OnEndOfStream(SessionSide side)
    {
        lock (_endGate)
        {
            if (Interlocked.CompareExchange(ref _firstFinAt, _time.GetMilliseconds(), 0) == 0 && _ended == 0)
            {
                _reason = side == SessionSide.Client ? EndReason.LocalClientClosed : EndReason.RemotePeerClosed;
            }
        }
    }

    /// <summary>
    /// A direction is about to pass its source's FIN on; true when the other direction has not yet
    /// done so. When it has, the sockets are closed as soon as this direction returns, and the
    /// close sends the FIN: a Shutdown(Send) first would be one more system call per session.
    /// </summary>
    public bool TakeFinTurn() => Interlocked.Increment(ref _finsPassedOn) == 1;

    /// <summary>A socket operation failed on <paramref name="side"/>: forward a reset to the other side.</summary>
    public void OnFailure(SessionSide side, NetworkFailure failure)
    {
        if (failure.Kind == FailureKind.Aborted && Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        var reason = side == SessionSide.Client ? EndReason.LocalClientError : EndReason.RemotePeerError;
        End(reason, failure.Detail, reset: true);
    }

    /// <summary>Checks the idle and fin-wait timeouts; called by the engine's sweep.</summary>
    public void Sweep(long now)
    {
        if (_idleTimeout > 0 && now - Volatile.Read(ref _lastActivity) >= _idleTimeout)
        {
            Terminate(EndReason.IoTimeout);
            return;
        }

        var finAt = Interlocked.Read(ref _firstFinAt);
        if (_finWaitTimeout > 0 && finAt != 0 && now - finAt >= _finWaitTimeout)
        {
            Terminate(EndReason.TcpFinWaitTimeout);
        }
    }

    /// <summary>
    /// Ends the session from outside. A timeout closes both sides gracefully, as the peers would
    /// themselves. A session cut short (drain deadline, second stop request) is reset on both
    /// sides, so that neither the client nor the target takes a truncated transfer for a whole one.
    /// </summary>
    public void Terminate(EndReason reason) => End(reason, null, reset: reason == EndReason.AdministrativeTermination);

    /// <summary>
    /// A reset closes at once with linger 0 (RST). A graceful end only shuts both directions down:
    /// that sends FIN and wakes the pending receives, and the sockets are disposed once the loops
    /// are done. Disposing a socket with an operation still pending would abort it with a reset.
    /// </summary>
    private static void Close(TcpChannel channel, bool reset)
    {
        try
        {
            if (reset)
            {
                channel.Reset();
            }
            else
            {
                channel.ShutdownBoth();
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed or never connected: nothing left to do.
        }
    }

    private void End(EndReason reason, string? detail, bool reset)
    {
        if (!TryEnd(reason, detail))
        {
            return;
        }

        CancellationTokenSource? ending;
        lock (_endGate)
        {
            ending = _ending;
        }

        try
        {
            ending?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Both directions finished on their own in the meantime and the splice released the
            // source: nothing waits on it any more, and the sockets below are closed already.
        }

        Close(_client, reset);
        Close(_target, reset);
    }

    /// <summary>
    /// One direction's loop has returned, with the exception that escaped its clean-up if any (a
    /// bug: the loops report network failures through <see cref="OnFailure"/>). After the second:
    /// reasons set by Terminate/OnFailure stand; otherwise both directions ended cleanly and the
    /// side whose FIN came first closed the session. Then each side has sent its FIN and had ours,
    /// so there is nothing left to shut down (a Shutdown(Both) of each socket was two system calls
    /// per session that did nothing), and the sockets are closed.
    /// </summary>
    internal void OnDirectionEnded(Exception? unexpected)
    {
        if (unexpected is not null)
        {
            Interlocked.CompareExchange(ref _unexpected, unexpected, null);
        }

        if (Interlocked.Decrement(ref _directionsRunning) != 0)
        {
            return;
        }

        TryEnd(_reason == EndReason.None ? EndReason.LocalClientClosed : _reason, _detail);
        _client.Dispose();
        _target.Dispose();
        _ending?.Dispose();
        var failure = Volatile.Read(ref _unexpected);
        if (failure is null)
        {
            _completion.SetResult(true);
        }
        else
        {
            _completion.SetException(failure);
        }
    }

    /// <summary>Records why the session ended; false when it had ended already.</summary>
    private bool TryEnd(EndReason reason, string? detail)
    {
        lock (_endGate)
        {
            if (_ended != 0)
            {
                return false;
            }

            Volatile.Write(ref _ended, 1);

            // A clean end keeps the reason the first FIN set.
            if (reason is not (EndReason.LocalClientClosed or EndReason.RemotePeerClosed) || _reason == EndReason.None)
            {
                _reason = reason;
                _detail = detail;
            }
        }

        return true;
    }
}
