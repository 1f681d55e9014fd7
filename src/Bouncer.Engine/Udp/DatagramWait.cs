using System.Net.Sockets;
using Bouncer.Engine.Epoll;
using Bouncer.Engine.Sessions;

namespace Bouncer.Engine.Udp;

/// <summary>
/// How a UDP receive loop waits until its socket has a datagram queued, holding no buffer
/// meanwhile. With batches on the epoll transport, every listener socket and every flow's socket
/// waits on one of the engine's epoll loops, taken in turn, and the datagrams it wakes for are
/// moved by that loop's thread (<see cref="EpollDatagramWait"/>); elsewhere a zero-byte peek waits
/// through the runtime's socket engine (<see cref="PeekDatagramWait"/>).
/// </summary>
/// <remarks>
/// A wake-up may find nothing queued, and an epoll wait is edge-triggered: a loop that stopped
/// before it had taken everything queued must receive again without waiting first.
/// </remarks>
internal abstract class DatagramWait : IDisposable
{
    /// <summary>The wait of one of the relay's sockets, on the next epoll loop when the engine has them.</summary>
    public static DatagramWait For(Socket socket, EngineServices services) =>
        services.Options.DatagramBatches && services.Transport is EpollTcpTransport epoll
            ? new EpollDatagramWait(socket, epoll.NextLoop())
            : new PeekDatagramWait(socket);

    /// <summary>Completes when a datagram, or an error to report, may be queued; fails once the wait is disposed or the socket closed.</summary>
    public abstract ValueTask<int> WaitAsync();

    /// <summary>Ends the wait, failing a pending one with OperationAborted; called before the socket closes.</summary>
    public abstract void Dispose();
}

/// <summary>A zero-byte peek through the runtime's socket engine.</summary>
internal sealed class PeekDatagramWait(Socket socket) : DatagramWait
{
    public override ValueTask<int> WaitAsync() => socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek);

    /// <remarks>Closing the socket ends the peek.</remarks>
    public override void Dispose()
    {
    }
}

/// <summary>Readable edges of the socket on an <see cref="EpollLoop"/>; continuations run on its thread.</summary>
internal sealed class EpollDatagramWait : DatagramWait
{
    private readonly EpollRegistration _registration;

    public EpollDatagramWait(Socket socket, EpollLoop loop) => _registration = loop.RegisterDatagram(socket);

    public override ValueTask<int> WaitAsync() => _registration.WaitReadableAsync();

    /// <remarks>Closing a socket sends epoll no event, so the pending wait is failed here.</remarks>
    public override void Dispose()
    {
        _registration.Abort();
        _registration.Loop.Release(_registration);
    }
}
