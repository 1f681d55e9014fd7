using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// An outgoing socket of the epoll transport: a bare descriptor, opened non-blocking. A
/// <see cref="System.Net.Sockets.Socket"/> made with it would cost an fcntl for the mode, and two
/// finalizable objects, in every session; only a rule with a source address or its own options
/// builds one (<see cref="Socket"/>).
/// </summary>
internal sealed class EpollOutgoingTcpSocket : OutgoingTcpSocket
{
    private Socket? _socket;

    public EpollOutgoingTcpSocket(AddressFamily family) => Descriptor = EpollCalls.OpenStream(family);

    public SocketDescriptor Descriptor { get; }

    /// <summary>The <see cref="Socket"/> if one was built: its channel disposes it before it closes the descriptor.</summary>
    public Socket? BuiltSocket => _socket;

    public override SafeHandle Handle => Descriptor;

    /// <remarks>Around the same descriptor without owning it, as an accepted channel's (<see cref="EpollTcpChannel.Socket"/>).</remarks>
    public override Socket Socket => _socket ??= Descriptor.ToSocket();

    public override IPEndPoint? LocalEndPoint => EpollCalls.LocalAddress(Descriptor);

    public override void SetDefaults(bool keepAlive) => EpollCalls.SetStreamDefaults(Descriptor, keepAlive);

    public override void Dispose()
    {
        _socket?.Dispose();
        Descriptor.Dispose();
    }
}
