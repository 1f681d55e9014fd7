using System.Net.Sockets;

namespace Bouncer.Engine.Tcp;

/// <summary>One lane: <see cref="Socket.AcceptAsync(CancellationToken)"/> on the runtime's socket engine.</summary>
internal sealed class SocketTcpAcceptor(Socket listener) : TcpAcceptor
{
    public override int Lanes => 1;

    public override ValueTask<Socket> AcceptAsync(int lane, CancellationToken cancellationToken) => listener.AcceptAsync(cancellationToken);

    public override TcpChannel Open(Socket accepted, int lane) => new SocketTcpChannel(accepted);

    /// <remarks>Closing the listener, which its owner does next, ends a pending accept.</remarks>
    public override void Dispose()
    {
    }
}
