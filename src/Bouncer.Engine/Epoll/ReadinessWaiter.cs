using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// One direction of readiness (readable or writable) of a socket on an edge-triggered epoll set,
/// awaited by at most one waiter at a time. An edge that arrives while nobody waits is remembered
/// (<c>Ready</c>), so the next wait returns at once and its caller tries the operation again; a
/// stale edge costs one try that finds nothing (EAGAIN) and waits. An end that stays (end of
/// stream, an error, a hang-up) makes every later wait return at once (<c>Finished</c>): it comes
/// as one edge, possibly together with data that a read takes first. Continuations run on the
/// epoll thread that signals, as socket continuations do in the rest of the engine.
/// </summary>
internal sealed class ReadinessWaiter : IValueTaskSource<int>
{
    private const int NotReady = 0;
    private const int Ready = 1;
    private const int Waiting = 2;
    private const int Aborted = 3;
    private const int Finished = 4;

    private ManualResetValueTaskSourceCore<int> _core;
    private int _state;

    /// <param name="ready">True when an edge may have been missed (the socket may already be ready).</param>
    public ReadinessWaiter(bool ready) => _state = ready ? Ready : NotReady;

    private ReadinessWaiter() => _state = Aborted;

    /// <summary>
    /// A waiter of no socket, aborted from the start: every wait fails, and signals, ends and
    /// aborts change nothing, so one serves every socket closed before it needed its own.
    /// </summary>
    public static ReadinessWaiter AbortedForever { get; } = new();

    /// <summary>Completes when an edge arrives (or has arrived since the last wait); throws once aborted.</summary>
    public ValueTask<int> WaitAsync()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Finished:
                    return new ValueTask<int>(0);
                case Ready:
                    if (Interlocked.CompareExchange(ref _state, NotReady, Ready) == Ready)
                    {
                        return new ValueTask<int>(0);
                    }

                    break;
                case NotReady:
                    _core.Reset();
                    if (Interlocked.CompareExchange(ref _state, Waiting, NotReady) == NotReady)
                    {
                        return new ValueTask<int>(this, _core.Version);
                    }

                    break;
                case Aborted:
                    return ValueTask.FromException<int>(new SocketException((int)SocketError.OperationAborted));
                default:
                    throw new InvalidOperationException("A socket direction is awaited twice at once.");
            }
        }
    }

    /// <summary>An edge arrived: wakes the waiter, or remembers it for the next wait.</summary>
    public void Signal()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, NotReady, Waiting) == Waiting)
                {
                    _core.SetResult(0);
                    return;
                }
            }
            else if (state != NotReady || Interlocked.CompareExchange(ref _state, Ready, NotReady) == NotReady)
            {
                return;
            }
        }
    }

    /// <summary>The socket has reached an end that stays: wakes the waiter, and no later wait waits.</summary>
    public void Finish()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is Aborted or Finished)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, Finished, state) == state)
            {
                if (state == Waiting)
                {
                    _core.SetResult(0);
                }

                return;
            }
        }
    }

    /// <summary>The socket is being closed: the waiter, and every later wait, fails with OperationAborted.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _state, Aborted) == Waiting)
        {
            // Not on the aborting thread: it is closing the session, and the waiter's clean-up would
            // run inside that close.
            _core.RunContinuationsAsynchronously = true;
            _core.SetException(new SocketException((int)SocketError.OperationAborted));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    /// <remarks>
    /// A wait that completed between <see cref="WaitAsync"/> returning and its awaiter registering
    /// (a loopback connect often does) continues here on the awaiting thread: the default, a hop
    /// to the thread pool, woke a pool thread for most connections. The awaiter's execution
    /// context is the current one, so nothing needs restoring.
    /// </remarks>
    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (_core.GetStatus(token) != ValueTaskSourceStatus.Pending && RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            continuation(state);
            return;
        }

        _core.OnCompleted(continuation, state, token, flags);
    }
}
