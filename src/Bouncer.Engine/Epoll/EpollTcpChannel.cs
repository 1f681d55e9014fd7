using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A channel that waits on an <see cref="EpollLoop"/>. The socket never meets the runtime's
/// socket engine: no context, event args or operation objects per socket, and the loop that
/// wakes for it is the one its session's other socket is on. Reads and writes are recv and send
/// with MSG_DONTWAIT, so the descriptor's own blocking mode does not matter and is left alone.
/// </summary>
/// <remarks>
/// Both of a session's connections are bare descriptors (<see cref="SocketDescriptor"/>): an
/// accepted one with the address accept4 gave, since a <see cref="System.Net.Sockets.Socket"/>
/// around it would ask the kernel for its family, type, flags and both addresses, eight system
/// calls that the session has no use for; an outgoing one as the transport opened it
/// (<see cref="EpollOutgoingTcpSocket"/>). Half-close, reset and close are made on the descriptor.
/// </remarks>
internal sealed class EpollTcpChannel : TcpChannel
{
    private readonly EpollRegistration _registration;

    private readonly SocketDescriptor _handle;
    private readonly IPEndPoint? _remote;
    private readonly bool _accepted;
    private Socket? _socket;
    private int _released;

    // An outgoing socket is opened non-blocking; an accepted one is left blocking until a splice needs it so.
    private bool _nonBlocking;

    private EpollTcpChannel(SocketDescriptor handle, Socket? socket, IPEndPoint? remote, bool accepted, EpollRegistration registration)
    {
        _handle = handle;
        _socket = socket;
        _remote = remote;
        _accepted = accepted;
        _nonBlocking = !accepted;
        _registration = registration;
    }

    public override SafeHandle Handle => _handle;

    /// <remarks>
    /// Made on first use around the same descriptor without owning it: only a rule with socket
    /// options pays for it (the eight calls above). The channel closes the descriptor, once; this
    /// socket is disposed first and closes nothing. The session sets options before its splice
    /// starts, so nothing closes the descriptor while the socket is in use.
    /// </remarks>
    public override Socket Socket => _socket ??= _handle.ToSocket();

    public override IPEndPoint? RemoteEndPoint => _remote;

    public override IPEndPoint? LocalEndPoint => EpollCalls.LocalAddress(_handle);

    public EpollLoop Loop => _registration.Loop;

    /// <summary>A connection accepted on <paramref name="registration"/>'s loop; the channel owns <paramref name="descriptor"/>.</summary>
    public static EpollTcpChannel Accepted(SocketDescriptor descriptor, IPEndPoint? remote, EpollRegistration registration) =>
        new(descriptor, null, remote, accepted: true, registration);

    /// <summary>An outgoing connection to <paramref name="target"/>; the channel owns <paramref name="socket"/>.</summary>
    public static EpollTcpChannel Connecting(EpollOutgoingTcpSocket socket, IPEndPoint target, EpollRegistration registration) =>
        new(socket.Descriptor, socket.BuiltSocket, target, accepted: false, registration);

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

    /// <summary>Makes the descriptor non-blocking, as splice(2) needs it; false when the system refused.</summary>
    public bool TryMakeNonBlocking()
    {
        try
        {
            _nonBlocking = _nonBlocking || EpollCalls.SetNonBlocking(_handle) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false; // Closed meanwhile: the splice that follows would fail anyway.
        }

        return _nonBlocking;
    }

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

    /// <remarks>No SO_LINGER when the socket is closed already: disposing is all that is left.</remarks>
    public override void Reset()
    {
        try
        {
            _ = EpollCalls.LingerNone(_handle);
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }

        Dispose();
    }

    public override void Dispose()
    {
        Detach();
        _socket?.Dispose();
        _handle.Dispose();
    }

    /// <remarks>
    /// ENOTCONN, a connection that already reached CLOSE (after a reset), is taken for success on
    /// an accepted socket and thrown on an outgoing one, as <see cref="Socket.Shutdown"/> did: it
    /// knows an accepted socket was connected, and not one whose connect it did not make.
    /// </remarks>
    protected override void Shutdown(SocketShutdown how)
    {
        var error = EpollCalls.Shutdown(_handle, how);
        if (error != 0 && !(error == EpollCalls.ErrnoNotConnected && _accepted))
        {
            throw new SocketException((int)Net.LinuxErrors.ToSocketError(error));
        }
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
