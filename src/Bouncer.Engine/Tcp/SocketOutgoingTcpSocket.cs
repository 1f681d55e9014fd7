using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Tcp;

/// <summary>An outgoing socket of the runtime's socket engine: a <see cref="System.Net.Sockets.Socket"/> from the start.</summary>
internal sealed class SocketOutgoingTcpSocket : OutgoingTcpSocket
{
    public SocketOutgoingTcpSocket(AddressFamily family) => Socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    public override SafeHandle Handle => Socket.SafeHandle;

    public override Socket Socket { get; }

    public override IPEndPoint? LocalEndPoint => SocketTcpTransport.LocalEndPointOf(Socket);

    public override void SetDefaults(bool keepAlive)
    {
        Socket.NoDelay = true;
        if (keepAlive)
        {
            Socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }
    }

    public override void Dispose() => Socket.Dispose();
}
