using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Listening;

public sealed class AddressReuseTests
{
    // UDP is not covered: Linux lets any two SO_REUSEADDR datagram sockets share a port, which the
    // wildcard listener's per-address sockets rely on.
    [LinuxFact]
    public void A_second_socket_cannot_share_a_TCP_listeners_port_even_with_SO_REUSEPORT()
    {
        var endpoint = TestNet.FreeEndPoint();
        var listener = new Listener(TransportProtocol.Tcp, new ListenEndpoint(endpoint.Address, endpoint.Port), ImmutableArray<Rule>.Empty);
        using var listening = ListenerSocketFactory.Bind(listener);

        using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // What a second daemon started by mistake would do: .NET's ReuseAddress sets SO_REUSEPORT on Linux.
        intruder.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);

        var refused = Assert.Throws<SocketException>(() => intruder.Bind(new IPEndPoint(endpoint.Address, endpoint.Port)));
        Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
    }
}
