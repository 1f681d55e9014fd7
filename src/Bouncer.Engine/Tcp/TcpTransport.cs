using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// How a session's two TCP sockets are connected and waited on. The data path above (pumps,
/// splice, session) is the same for every transport.
/// </summary>
internal abstract class TcpTransport
{
    /// <summary>A new, unconnected outgoing socket of <paramref name="family"/>; throws <see cref="SocketException"/> when the system refuses one.</summary>
    public abstract OutgoingTcpSocket Open(AddressFamily family);

    /// <summary>
    /// Starts connecting <paramref name="socket"/> (options set, source bound) to
    /// <paramref name="target"/>: the channel when the connect finished at once (a loopback target
    /// on the epoll transport), or null while it is under way, for <see cref="FinishConnectAsync"/>.
    /// Throws <see cref="SocketException"/> when it failed at once; the caller disposes the socket then.
    /// </summary>
    /// <param name="client">The session's client: the target is waited on where it is.</param>
    public virtual TcpChannel? StartConnect(OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client) => null;

    /// <summary>
    /// Waits for the connect that <see cref="StartConnect"/> left under way (on a transport that
    /// starts nothing there, makes it). Throws <see cref="SocketException"/> when the connect fails
    /// and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ends
    /// it; the caller disposes the socket then.
    /// </summary>
    public abstract ValueTask<TcpChannel> FinishConnectAsync(OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken);

    /// <summary>Accepts the connections of a bound, listening <paramref name="listener"/>.</summary>
    public abstract TcpAcceptor Listen(Socket listener);
}
