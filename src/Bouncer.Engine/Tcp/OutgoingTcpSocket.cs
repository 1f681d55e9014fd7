using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// A session's outgoing socket from its opening to its connect: the transport opens it
/// (<see cref="TcpTransport.Open"/>), the connector sets the engine's defaults and a rule's options
/// on it and binds its source, and the connect turns it into a <see cref="TcpChannel"/> that owns it.
/// </summary>
internal abstract class OutgoingTcpSocket : IDisposable
{
    /// <summary>The descriptor, for the descriptor reserve's check of its number and for the connect.</summary>
    public abstract SafeHandle Handle { get; }

    /// <summary>
    /// The socket as a <see cref="System.Net.Sockets.Socket"/>, to bind a source address and set a
    /// rule's options. The epoll transport builds it on first use, which costs a handful of system
    /// calls: read it only for those.
    /// </summary>
    public abstract Socket Socket { get; }

    /// <summary>The address the system gave the socket (bound or connected), or null when it cannot tell.</summary>
    public abstract IPEndPoint? LocalEndPoint { get; }

    /// <summary>TCP_NODELAY, and SO_KEEPALIVE when <paramref name="keepAlive"/>: what every outgoing connection has.</summary>
    public abstract void SetDefaults(bool keepAlive);

    /// <summary>Closes the socket; for one that never became a channel.</summary>
    public abstract void Dispose();
}
