using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A listener in every loop's epoll set (EPOLLEXCLUSIVE: a connection wakes one loop), one lane
/// per loop. A lane takes connections with accept4 until none is queued; each becomes a channel on
/// that lane's loop, so its session's work starts on the thread that accepted it.
/// </summary>
internal sealed class EpollTcpAcceptor : TcpAcceptor
{
    private readonly SafeSocketHandle _listener;
    private readonly EpollRegistration[] _lanes;

    public EpollTcpAcceptor(Socket listener, EpollLoop[] loops)
    {
        _listener = listener.SafeHandle;

        // accept4 must return EAGAIN when the queue is empty, not block a loop's thread.
        listener.Blocking = false;
        _lanes = new EpollRegistration[loops.Length];
        try
        {
            for (var i = 0; i < loops.Length; i++)
            {
                _lanes[i] = loops[i].RegisterListener(_listener);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override int Lanes => _lanes.Length;

    /// <remarks>
    /// The accepted descriptor becomes a channel as it is, with the client's address accept4 wrote:
    /// no <see cref="Socket"/> around it (<see cref="EpollTcpChannel"/> says why).
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<TcpChannel> AcceptAsync(int lane, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = EpollCalls.Accept(_listener, out var remote);
            if (result >= 0)
            {
                return Open(result, remote, _lanes[lane].Loop);
            }

            switch (-result)
            {
                case EpollCalls.ErrnoWouldBlock:
                    await _lanes[lane].WaitReadableAsync().ConfigureAwait(false);
                    break;
                case EpollCalls.ErrnoInterrupted or EpollCalls.ErrnoConnectionAborted:
                    break; // The client gave up while queued: take the next one.
                default:
                    throw new SocketException((int)Net.LinuxErrors.ToSocketError(-result));
            }
        }
    }

    public override void Dispose()
    {
        foreach (var lane in _lanes)
        {
            if (lane is not null)
            {
                lane.Abort();
                lane.Loop.Release(lane);
            }
        }
    }

    private static EpollTcpChannel Open(int fd, IPEndPoint? remote, EpollLoop loop)
    {
        var descriptor = new SocketDescriptor(fd);
        try
        {
            return EpollTcpChannel.Accepted(descriptor, remote, loop.Register(descriptor, awaitingConnect: false));
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }
}
