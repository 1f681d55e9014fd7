using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// TCP on Linux through epoll sets of the engine's own (docs/design.md, "TCP transport"): every
/// loop accepts from every listener (<see cref="EpollTcpAcceptor"/>), and a session's target is
/// connected and waited on by the loop that accepted its client, so a session lives on one thread.
/// </summary>
/// <remarks>
/// The loops serve every engine in the process, as the runtime's own socket engine does: they are
/// made on first use, one per processor, and wait in epoll_wait, costing nothing, while there is
/// no socket to serve.
/// </remarks>
internal sealed class EpollTcpTransport : TcpTransport, IDisposable
{
    private static readonly Lazy<EpollTcpTransport> s_shared = new(() => new EpollTcpTransport(Environment.ProcessorCount));

    private readonly EpollLoop[] _loops;
    private int _nextLoop;

    /// <param name="loops">Threads, each with its own epoll set; tests make their own transport to count its registrations.</param>
    internal EpollTcpTransport(int loops)
    {
        _loops = new EpollLoop[Math.Max(1, loops)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = new EpollLoop($"bouncer epoll {i}", OnFault);
        }
    }

    public static EpollTcpTransport Shared => s_shared.Value;

    /// <summary>Whether this system has epoll.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sockets registered on every loop, and not yet closed.</summary>
    public int Registered => _loops.Sum(loop => loop.Count);

    /// <remarks>
    /// A loopback handshake runs inside the connect call, so a second connect, made at once, finds
    /// it finished: the session goes on without a timer, a wait for the writable edge or a state
    /// machine suspended on the way.
    /// </remarks>
    public override TcpChannel? StartConnect(OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client)
    {
        var error = EpollCalls.Connect(socket.Handle, target);
        if (error == EpollCalls.ErrnoInProgress)
        {
            // A second connect says how the first one stands: 0 once it has finished, EALREADY
            // while it is under way, or the error it ended with.
            error = EpollCalls.Connect(socket.Handle, target);
        }

        return error switch
        {
            0 or EpollCalls.ErrnoIsConnected => EpollTcpChannel.Connecting(Outgoing(socket), target, LoopOf(client).Register(socket.Handle, awaitingConnect: false)),
            EpollCalls.ErrnoAlready or EpollCalls.ErrnoInProgress => null,
            _ => throw new SocketException((int)Net.LinuxErrors.ToSocketError(error)),
        };
    }

    /// <remarks>Registered once the connect is under way: an unconnected socket reports itself writable.</remarks>
    public override async ValueTask<TcpChannel> FinishConnectAsync(OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken)
    {
        var channel = EpollTcpChannel.Connecting(Outgoing(socket), target, LoopOf(client).Register(socket.Handle, awaitingConnect: true));
        try
        {
            using (cancellationToken.UnsafeRegister(static state => ((EpollTcpChannel)state!).Abort(), channel))
            {
                await channel.WaitWritableAsync().ConfigureAwait(false);
            }

            var result = EpollCalls.PendingError(socket.Handle);
            return result == SocketError.Success ? channel : throw new SocketException((int)result);
        }
        catch (SocketException) when (cancellationToken.IsCancellationRequested)
        {
            channel.Detach();
            throw new OperationCanceledException(cancellationToken);
        }
        catch
        {
            channel.Detach();
            throw;
        }
    }

    /// <summary>Stops the loops; every socket registered on them must be closed first.</summary>
    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    /// <remarks>Opened non-blocking: <see cref="StartConnect"/> connects it without a mode change first.</remarks>
    public override OutgoingTcpSocket Open(AddressFamily family) => new EpollOutgoingTcpSocket(family);

    public override TcpAcceptor Listen(Socket listener) => new EpollTcpAcceptor(listener, _loops);

    /// <summary>The loops in turn: each socket of the UDP relay waits on one (<see cref="Udp.DatagramWait"/>).</summary>
    public EpollLoop NextLoop() => _loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length)];

    private static EpollLoop LoopOf(TcpChannel client) => ((EpollTcpChannel)client).Loop;

    private static EpollOutgoingTcpSocket Outgoing(OutgoingTcpSocket socket) => (EpollOutgoingTcpSocket)socket;

    private static void OnFault(Exception exception) =>
        Environment.FailFast("A continuation on an epoll thread let an exception escape.", exception);
}
