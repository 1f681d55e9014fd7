namespace Bouncer.Engine.Udp;

/// <summary>
/// Where a <see cref="UdpFlow"/> is in its life: Pending (being decided and opened), Open
/// (forwarding both ways), Closed. The only moves are Pending to Open, once, by the flow that
/// opened its outgoing socket, and any state to Closed, where the first close wins and the later
/// ones do nothing. A flow that never opened is reported as rejected, an open one with its
/// counters (<see cref="UdpFlow"/>'s close).
/// </summary>
internal struct UdpFlowState
{
    private const int Pending = 0;
    private const int Open = 1;
    private const int Closed = 2;

    private int _value;

    public bool IsOpen => Volatile.Read(ref _value) == Open;

    /// <summary>Pending to Open; false when the flow was closed meanwhile.</summary>
    public bool TryOpen() => Interlocked.CompareExchange(ref _value, Open, Pending) == Pending;

    /// <summary>Closes the flow. <paramref name="wasOpen"/> says whether it had opened; false when it was already closed.</summary>
    public bool TryClose(out bool wasOpen)
    {
        var previous = Interlocked.Exchange(ref _value, Closed);
        wasOpen = previous == Open;
        return previous != Closed;
    }

    /// <summary>Closes a flow that never ran, with nothing to report.</summary>
    public void Discard() => Interlocked.Exchange(ref _value, Closed);
}
