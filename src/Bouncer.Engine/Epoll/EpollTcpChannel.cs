using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A channel that waits on an <see cref="EpollLoop"/>. The socket never meets the runtime's
/// socket engine: no context, event args or operation objects per socket, and the loop that
/// wakes for it is the one its session's other socket is on.
/// </summary>
internal sealed class EpollTcpChannel : TcpChannel
{
    private readonly EpollRegistration _registration;
    private int _released;

    public EpollTcpChannel(Socket socket, EpollRegistration registration)
        : base(socket) => _registration = registration;

    public EpollLoop Loop => _registration.Loop;

    public override ValueTask<int> WaitReadableAsync() => _registration.WaitReadableAsync();

    public ValueTask<int> WaitWritableAsync() => _registration.WaitWritableAsync();

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        var read = Socket.Receive(buffer.Span, SocketFlags.None, out var error);
        return error switch
        {
            SocketError.Success => new ValueTask<int>(read),
            SocketError.WouldBlock => ReceiveWhenReadableAsync(buffer),
            _ => ValueTask.FromException<int>(new SocketException((int)error)),
        };
    }

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data) => SendWhenWritableAsync(data);

    /// <summary>Wakes pending waits with OperationAborted without closing; the caller closes next.</summary>
    public void Abort() => _registration.Abort();

    /// <summary>Leaves the loop but keeps the socket open, for a failed connect whose caller still reads its address.</summary>
    public void Detach()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _registration.Abort();
            _registration.Loop.Release(_registration);
        }
    }

    public override void Dispose()
    {
        Detach();
        Socket.Dispose();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveWhenReadableAsync(Memory<byte> buffer)
    {
        while (true)
        {
            await _registration.WaitReadableAsync().ConfigureAwait(false);
            var read = Socket.Receive(buffer.Span, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return read;
            }

            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> SendWhenWritableAsync(ReadOnlyMemory<byte> data)
    {
        while (true)
        {
            await _registration.WaitWritableAsync().ConfigureAwait(false);
            var sent = Socket.Send(data.Span, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return sent;
            }

            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
        }
    }
}
