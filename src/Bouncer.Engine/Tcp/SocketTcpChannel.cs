using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Tcp;

/// <summary>A channel that waits through the runtime's socket engine: the transport of every platform but Linux.</summary>
internal sealed class SocketTcpChannel : TcpChannel
{
    private readonly Socket _socket;

    public SocketTcpChannel(Socket socket)
    {
        _socket = socket;

        // Synchronous sends must return WouldBlock instead of blocking the thread.
        socket.Blocking = false;
    }

    public override SafeHandle Handle => _socket.SafeHandle;

    public override Socket Socket => _socket;

    public override IPEndPoint? RemoteEndPoint
    {
        get
        {
            try
            {
                return _socket.RemoteEndPoint as IPEndPoint;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }

    public override IPEndPoint? LocalEndPoint => SocketTcpTransport.LocalEndPointOf(_socket);

    public override int Receive(Span<byte> buffer, out SocketError error) => _socket.Receive(buffer, SocketFlags.None, out error);

    public override int Send(ReadOnlySpan<byte> data, out SocketError error) => _socket.Send(data, SocketFlags.None, out error);

    public override ValueTask<int> WaitReadableAsync() => _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => _socket.ReceiveAsync(buffer, SocketFlags.None);

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data) => _socket.SendAsync(data, SocketFlags.None);

    public override void Reset()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed: disposing is all that is left.
        }

        Dispose();
    }

    public override void Dispose() => _socket.Dispose();

    protected override void Shutdown(SocketShutdown how) => _socket.Shutdown(how);
}
