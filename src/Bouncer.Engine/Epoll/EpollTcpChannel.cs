using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A channel that waits on an <see cref="EpollLoop"/>. The socket never meets the runtime's
/// socket engine: no context, event args or operation objects per socket, and the loop that
/// wakes for it is the one its session's other socket is on. Reads and writes are recv and send
/// with MSG_DONTWAIT, so the descriptor's own blocking mode does not matter and is left alone.
/// </summary>
internal sealed class EpollTcpChannel : TcpChannel
{
    private readonly EpollRegistration _registration;

    // Read once: every receive and send needs it, and Socket.SafeHandle marks the handle exposed on each read.
    private readonly SafeSocketHandle _handle;
    private int _released;

    public EpollTcpChannel(Socket socket, EpollRegistration registration)
        : base(socket)
    {
        _registration = registration;
        _handle = socket.SafeHandle;
    }

    public EpollLoop Loop => _registration.Loop;

    public override ValueTask<int> WaitReadableAsync() => _registration.WaitReadableAsync();

    public ValueTask<int> WaitWritableAsync() => _registration.WaitWritableAsync();

    public override int Receive(Span<byte> buffer, out SocketError error) => Result(EpollCalls.Receive(_handle, buffer), out error);

    public override int Send(ReadOnlySpan<byte> data, out SocketError error) => Result(EpollCalls.Send(_handle, data), out error);

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        var read = Receive(buffer.Span, out var error);
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

    private static int Result(int result, out SocketError error)
    {
        error = result >= 0 ? SocketError.Success : Net.LinuxErrors.ToSocketError(-result);
        return Math.Max(result, 0);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveWhenReadableAsync(Memory<byte> buffer)
    {
        while (true)
        {
            await _registration.WaitReadableAsync().ConfigureAwait(false);
            var read = Receive(buffer.Span, out var error);
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
            var sent = Send(data.Span, out var error);
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
