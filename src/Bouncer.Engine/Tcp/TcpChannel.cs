using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One connected, non-blocking TCP socket and how its data path waits for it: through the
/// runtime's socket engine (<see cref="SocketTcpChannel"/>) or an epoll set of the engine's own
/// (<see cref="Epoll.EpollTcpChannel"/>). Reads and writes that can complete at once are made
/// synchronously on <see cref="Socket"/> by the caller; a channel is only asked to wait.
/// </summary>
internal abstract class TcpChannel : IDisposable
{
    protected TcpChannel(Socket socket) => Socket = socket;

    public Socket Socket { get; }

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
