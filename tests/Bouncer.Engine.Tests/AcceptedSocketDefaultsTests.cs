using System.Collections.Immutable;
using System.Net.Sockets;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Tcp;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests;

public sealed class AcceptedSocketDefaultsTests
{
    [LinuxFact(Timeout = 20_000)]
    public Task Accepted_connections_inherit_no_delay_and_keep_alive() => AssertInheritedAsync(keepAlive: true);

    [LinuxFact(Timeout = 20_000)]
    public Task Without_keep_alive_accepted_connections_still_inherit_no_delay() => AssertInheritedAsync(keepAlive: false);

    // The sessions no longer set these per connection; Linux copies them from the listener at accept.
    private static async Task AssertInheritedAsync(bool keepAlive)
    {
        var endpoint = TestNet.FreeEndPoint();
        var listener = new Listener(TransportProtocol.Tcp, new ListenEndpoint(endpoint.Address, endpoint.Port), ImmutableArray<Rule>.Empty);
        using var listening = ListenerSocketFactory.Bind(listener, socket => AcceptedSocketDefaults.Apply(socket, keepAlive));
        using var client = await TestNet.ConnectAsync(endpoint);
        using var accepted = await listening.AcceptAsync();

        Assert.True(accepted.NoDelay);
        Assert.Equal(keepAlive ? 1 : 0, (int)accepted.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }
}
