using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One connected, non-blocking TCP socket and how its data path waits for it: through the
/// runtime's socket engine (<see cref="SocketTcpChannel"/>) or an epoll set of the engine's own
/// (<see cref="Epoll.EpollTcpChannel"/>). Reads and writes are tried at once, without waiting
/// (<see cref="Receive"/>, <see cref="Send"/>); the async calls wait for the socket first when it
/// has nothing to give or no room to take.
/// </summary>
internal abstract class TcpChannel : IDisposable
{
    protected TcpChannel(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>Reads what is queued, without waiting: <see cref="SocketError.WouldBlock"/> when nothing is.</summary>
    public abstract int Receive(Span<byte> buffer, out SocketError error);

    /// <summary>Sends what the kernel takes now, without waiting: <see cref="SocketError.WouldBlock"/> when it takes nothing.</summary>
    public abstract int Send(ReadOnlySpan<byte> data, out SocketError error);

    /// <summary>Completes when data (or end of stream, or an error) can be read; holds no buffer meanwhile.</summary>
    public abstract ValueTask<int> WaitReadableAsync();

    /// <summary>Receives into <paramref name="buffer"/>, waiting for data when none is queued.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Sends part of <paramref name="data"/> after a synchronous send would have blocked; returns the bytes sent.</summary>
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> data);

    /// <summary>Closes with a reset (linger 0): a pending wait fails with OperationAborted.</summary>
    public void Reset()
    {
        try
        {
            Socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed: disposing is all that is left.
        }

        Dispose();
    }

    /// <summary>Closes the socket; a pending wait fails with OperationAborted.</summary>
    public abstract void Dispose();
}
