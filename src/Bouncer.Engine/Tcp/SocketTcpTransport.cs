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

    public override OutgoingTcpSocket Open(AddressFamily family) => new SocketOutgoingTcpSocket(family);

    public override async ValueTask<TcpChannel> FinishConnectAsync(OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken)
    {
        await socket.Socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        return new SocketTcpChannel(socket.Socket);
    }

    public override TcpAcceptor Listen(Socket listener) => new SocketTcpAcceptor(listener);

    /// <summary>The address the system gave <paramref name="socket"/> (connected or not), or null when it cannot tell.</summary>
    public static IPEndPoint? LocalEndPointOf(Socket socket)
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
