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
    public abstract ValueTask<TcpChannel> ConnectAsync(Socket socket, IPEndPoint target, CancellationToken cancellationToken);

    /// <summary>The accepted client's channel, on the same waiting thread as its session's <paramref name="target"/>.</summary>
    public abstract TcpChannel Accept(Socket client, TcpChannel target);

    /// <summary>The address the system gave <paramref name="socket"/> (connected or not), or null when it cannot tell.</summary>
    public abstract IPEndPoint? LocalEndPoint(Socket socket);
}
