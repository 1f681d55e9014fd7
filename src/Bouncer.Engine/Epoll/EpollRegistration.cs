namespace Bouncer.Engine.Epoll;

/// <summary>
/// One socket on an <see cref="EpollLoop"/>: its readable and writable edges. The writable side
/// is made on first use, since most sockets never find the kernel's send buffer full; an idle
/// session's socket holds this object and one waiter.
/// </summary>
internal sealed class EpollRegistration
{
    private const uint Ends = EpollCalls.HangUp | EpollCalls.Error;

    // Not ready at first: adding a socket to the set reports what is already queued as an edge.
    private readonly ReadinessWaiter _readable = new(ready: false);
    private ReadinessWaiter? _writable;
    private readonly bool _datagram;

    /// <param name="datagram">
    /// A datagram socket: an error (an ICMP message about an earlier send) is an edge like any
    /// other, taken by the next receive, not an end that stays; there is no end of stream.
    /// </param>
    public EpollRegistration(EpollLoop loop, int slot, uint generation, bool awaitingConnect, bool datagram = false)
    {
        Loop = loop;
        _datagram = datagram;
        Slot = slot;
        Generation = generation;

        // A connect under way must not take the registration itself for the socket being writable.
        _writable = awaitingConnect ? new ReadinessWaiter(ready: false) : null;
    }

    public EpollLoop Loop { get; }

    public int Slot { get; }

    /// <summary>Tells this registration from an earlier one of the same slot, whose events may still be in flight.</summary>
    public uint Generation { get; }

    public ValueTask<int> WaitReadableAsync() => _readable.WaitAsync();

    public ValueTask<int> WaitWritableAsync() => Writable.WaitAsync();

    /// <summary>Called on the loop's thread with the events epoll reported.</summary>
    public void OnEvents(uint events)
    {
        if (_datagram)
        {
            _readable.Signal();
            return;
        }

        if ((events & (Ends | EpollCalls.ReadHangUp)) != 0)
        {
            _readable.Finish();
        }
        else if ((events & EpollCalls.In) != 0)
        {
            _readable.Signal();
        }

        var writable = Volatile.Read(ref _writable);
        if ((events & Ends) != 0)
        {
            writable?.Finish();
        }
        else if ((events & EpollCalls.Out) != 0)
        {
            writable?.Signal();
        }
    }

    /// <summary>Fails every wait, now and later: the socket is about to close, and a close sends epoll no event.</summary>
    public void Abort()
    {
        _readable.Abort();

        // A writable side that was never made is not made now: the shared aborted one stands in
        // for it, so a later wait fails too.
        Interlocked.CompareExchange(ref _writable, ReadinessWaiter.AbortedForever, null)?.Abort();
    }

    private ReadinessWaiter Writable
    {
        get
        {
            var writable = Volatile.Read(ref _writable);
            if (writable is not null)
            {
                return writable;
            }

            // An edge may have come before this existed: start ready, and let the caller try.
            writable = new ReadinessWaiter(ready: true);
            return Interlocked.CompareExchange(ref _writable, writable, null) ?? writable;
        }
    }
}
