using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// How a session's two TCP sockets are connected and waited on. The data path above (pumps,
/// splice, session) is the same for every transport.
/// </summary>
internal abstract class TcpTransport
{
    /// <summary>
    /// Connects <paramref name="socket"/> (options set, source bound) to <paramref name="target"/>.
    /// Throws <see cref="SocketException"/> when the connect fails and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ends it;
    /// the caller disposes the socket then.
    /// </summary>
    /// <param name="client">The session's client: the target is waited on where it is.</param>
    public abstract ValueTask<TcpChannel> ConnectAsync(Socket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken);

    /// <summary>Accepts the connections of a bound, listening <paramref name="listener"/>.</summary>
    public abstract TcpAcceptor Listen(Socket listener);

    /// <summary>The address the system gave <paramref name="socket"/> (connected or not), or null when it cannot tell.</summary>
    public abstract IPEndPoint? LocalEndPoint(Socket socket);
}
