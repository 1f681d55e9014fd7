using Bouncer.Engine.Events;

namespace Bouncer.Engine.Udp;

/// <summary>
/// Bytes and datagrams of one UDP flow in each of its four directions. Counted with interlocked
/// adds, because a flow's client side (the listener's receive loop) and its reply side (the flow's
/// own loop) count at the same time; <see cref="Read"/> gives the totals for events and the state dump.
/// A TCP session has no such struct: its byte counts are its two pumps' own read and write
/// positions (<see cref="Tcp.SocketPump"/>), each written by one loop, and are read into the same
/// <see cref="TrafficCounters"/>.
/// </summary>
internal struct DatagramCounters
{
    private long _bytesToClient;
    private long _bytesFromClient;
    private long _bytesToTarget;
    private long _bytesFromTarget;
    private long _packetsToClient;
    private long _packetsFromClient;
    private long _packetsToTarget;
    private long _packetsFromTarget;

    /// <summary>A datagram of <paramref name="bytes"/> arrived: from the client when it goes <see cref="IoDirection.ClientToTarget"/>, else from the target.</summary>
    public void Received(IoDirection direction, int bytes)
    {
        if (direction == IoDirection.ClientToTarget)
        {
            Count(ref _packetsFromClient, ref _bytesFromClient, bytes);
        }
        else
        {
            Count(ref _packetsFromTarget, ref _bytesFromTarget, bytes);
        }
    }

    /// <summary>A datagram of <paramref name="bytes"/> was sent on: to the target when it goes <see cref="IoDirection.ClientToTarget"/>, else to the client.</summary>
    public void Delivered(IoDirection direction, int bytes)
    {
        if (direction == IoDirection.ClientToTarget)
        {
            Count(ref _packetsToTarget, ref _bytesToTarget, bytes);
        }
        else
        {
            Count(ref _packetsToClient, ref _bytesToClient, bytes);
        }
    }

    public TrafficCounters Read() => new(
        Volatile.Read(ref _bytesToClient),
        Volatile.Read(ref _bytesFromClient),
        Volatile.Read(ref _bytesToTarget),
        Volatile.Read(ref _bytesFromTarget),
        Volatile.Read(ref _packetsToClient),
        Volatile.Read(ref _packetsFromClient),
        Volatile.Read(ref _packetsToTarget),
        Volatile.Read(ref _packetsFromTarget));

    private static void Count(ref long packets, ref long bytes, int datagramLength)
    {
        Interlocked.Increment(ref packets);
        Interlocked.Add(ref bytes, datagramLength);
    }
}
