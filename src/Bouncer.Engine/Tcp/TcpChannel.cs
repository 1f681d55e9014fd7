using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One connected TCP socket and how its data path waits for it: through the runtime's socket
/// engine (<see cref="SocketTcpChannel"/>) or an epoll set of the engine's own
/// (<see cref="Epoll.EpollTcpChannel"/>). Reads and writes are tried at once, without waiting
/// (<see cref="Receive"/>, <see cref="Send"/>); the async calls wait for the socket first when it
/// has nothing to give or no room to take. The session asks it for the addresses, the half-close,
/// the reset and the close, so that an accepted connection needs no <see cref="Socket"/> object
/// unless a rule sets its options.
/// </summary>
internal abstract class TcpChannel : IDisposable
{
    /// <summary>The descriptor: for the descriptor reserve's check of its number, and for a splice.</summary>
    public abstract SafeHandle Handle { get; }

    /// <summary>
    /// The socket as a <see cref="System.Net.Sockets.Socket"/>, for the options of a rule. An
    /// accepted channel on the epoll transport builds it on first use, which costs a handful of
    /// system calls: read it only to set options.
    /// </summary>
    public abstract Socket Socket { get; }

    /// <summary>The peer's address; null when the system cannot tell (the connection is gone).</summary>
    public abstract IPEndPoint? RemoteEndPoint { get; }

    /// <summary>This end's address; null when the system cannot tell. May ask the kernel each time.</summary>
    public abstract IPEndPoint? LocalEndPoint { get; }

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

    /// <summary>Sends a FIN after what is queued (shutdown SHUT_WR); throws <see cref="SocketException"/> as <see cref="Socket.Shutdown"/> does.</summary>
    public void ShutdownSend() => Shutdown(SocketShutdown.Send);

    /// <summary>Shuts both directions down: sends a FIN and wakes pending receives, without closing.</summary>
    public void ShutdownBoth() => Shutdown(SocketShutdown.Both);

    /// <summary>Closes with a reset (linger 0): a pending wait fails with OperationAborted.</summary>
    public abstract void Reset();

    /// <summary>Closes the socket; a pending wait fails with OperationAborted.</summary>
    public abstract void Dispose();

    protected abstract void Shutdown(SocketShutdown how);
}
