using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>The runtime's socket engine: <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> and async receives and sends.</summary>
internal sealed class SocketTcpTransport : TcpTransport
{
    public static readonly SocketTcpTransport Instance = new();

    private SocketTcpTransport()
    {
    }

    public override async ValueTask<TcpChannel> FinishConnectAsync(Socket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken)
    {
        await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        return new SocketTcpChannel(socket);
    }

    public override TcpAcceptor Listen(Socket listener) => new SocketTcpAcceptor(listener);

    public override IPEndPoint? LocalEndPoint(Socket socket)
    {
        try
        {
            return socket.LocalEndPoint as IPEndPoint;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}
