using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>A channel that waits through the runtime's socket engine: the transport of every platform but Linux.</summary>
internal sealed class SocketTcpChannel : TcpChannel
{
    public SocketTcpChannel(Socket socket)
        : base(socket)
    {
        // Synchronous sends must return WouldBlock instead of blocking the thread.
        socket.Blocking = false;
    }

    public override int Receive(Span<byte> buffer, out SocketError error) => Socket.Receive(buffer, SocketFlags.None, out error);

    public override int Send(ReadOnlySpan<byte> data, out SocketError error) => Socket.Send(data, SocketFlags.None, out error);

    public override ValueTask<int> WaitReadableAsync() => Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data) => Socket.SendAsync(data, SocketFlags.None);

    public override void Dispose() => Socket.Dispose();
}
