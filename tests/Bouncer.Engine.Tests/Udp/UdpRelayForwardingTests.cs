using System.Net;
using System.Text;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

public sealed class UdpRelayForwardingTests
{
    private const int TestTimeout = 30_000;

    private static readonly IPAddress Listen = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Reached = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress TargetHost = IPAddress.Parse("127.0.0.4");
    private static readonly IPAddress ClientHost = IPAddress.Parse("127.0.0.5");

    [Theory(Timeout = TestTimeout)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Relays_request_and_response_for_200_concurrent_clients_with_one_flow_each(bool batches)
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)),
            new EngineOptions { DatagramBatches = batches });
        var clients = Enumerable.Range(0, 200).Select(_ => new UdpTestClient(ClientHost)).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async (client, index) =>
            {
                for (var request = 0; request < 3; request++)
                {
                    var payload = Encoding.ASCII.GetBytes($"client {index} request {request} {new string('x', index)}");
                    await client.EchoAsync(payload, relay.ListenAt());
                }
            }));

            // Every client got its own outgoing socket: the target saw 200 distinct source ports.
            Assert.Equal(200, target.DistinctSenders);
            Assert.Equal(200, target.Senders.Select(s => s.Port).Distinct().Count());
            Assert.Equal(200, relay.Relay.FlowCount);
            Assert.Equal(200, relay.Events.Events.Count(e => e.Phase == SessionPhase.Opened));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Replies_come_from_the_listener_address_and_port()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)));
        using var client = new UdpTestClient(ClientHost);

        var from = await client.EchoAsync("ping"u8.ToArray(), relay.ListenAt());

        Assert.Equal(relay.ListenAt(), from);
        Assert.NotEqual(target.EndPoint, from);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task A_wildcard_listener_replies_from_the_address_each_client_reached()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(IPAddress.Any, 0), target.EndPoint)));
        using var first = new UdpTestClient(ClientHost);
        using var second = new UdpTestClient(ClientHost);

        var viaReached = await first.EchoAsync("to .3"u8.ToArray(), relay.ListenAt(Reached));
        var viaListen = await second.EchoAsync("to .2"u8.ToArray(), relay.ListenAt(Listen));
        var againViaReached = await first.EchoAsync("to .3 again"u8.ToArray(), relay.ListenAt(Reached));

        Assert.Equal(relay.ListenAt(Reached), viaReached);
        Assert.Equal(relay.ListenAt(Reached), againViaReached);
        Assert.Equal(relay.ListenAt(Listen), viaListen);
        var opened = relay.Events.Events.Where(e => e.Phase == SessionPhase.Opened).ToList();
        Assert.Contains(opened, e => e.Client.Equals(first.LocalEndPoint) && e.Local.Equals(relay.ListenAt(Reached)));
        Assert.Contains(opened, e => e.Client.Equals(second.LocalEndPoint) && e.Local.Equals(relay.ListenAt(Listen)));
        Assert.Equal(2, opened.Count);
    }

    [Theory(Timeout = TestTimeout)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(1472, true)]
    [InlineData(65507, true)]
    [InlineData(0, false)]
    [InlineData(65507, false)]
    public async Task Datagrams_pass_intact_whatever_their_size(int size, bool batches)
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)),
            new EngineOptions { DatagramBatches = batches });
        using var client = new UdpTestClient(ClientHost);
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        var from = await client.EchoAsync(payload, relay.ListenAt());

        Assert.Equal(relay.ListenAt(), from);
        await relay.Relay.StopAsync();
        var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed, TimeSpan.FromSeconds(10));
        Assert.Equal(size, closed.Counters.BytesFromClient / closed.Counters.PacketsFromClient);
        Assert.Equal(closed.Counters.BytesFromClient, closed.Counters.BytesToClient);
    }

    [Theory(Timeout = TestTimeout)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bursts_from_several_clients_arrive_whole_in_order_and_counted_each_way(bool batches)
    {
        const int Burst = 3 * 16;
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)),
            new EngineOptions { DatagramBatches = batches });
        var clients = Enumerable.Range(0, 3).Select(_ => new UdpTestClient(ClientHost)).ToList();
        try
        {
            // One datagram first, so every flow is open before its burst.
            foreach (var client in clients)
            {
                await client.EchoAsync("open"u8.ToArray(), relay.ListenAt());
            }

            // Back to back, in runs of 16 per client, so the relay finds runs of one client in its queue.
            for (var run = 0; run < Burst; run += 16)
            {
                for (var c = 0; c < clients.Count; c++)
                {
                    for (var i = run; i < run + 16; i++)
                    {
                        clients[c].Socket.SendTo(Encoding.ASCII.GetBytes($"client {c} datagram {i}"), relay.ListenAt());
                    }
                }
            }

            for (var c = 0; c < clients.Count; c++)
            {
                for (var i = 0; i < Burst; i++)
                {
                    var (reply, from) = await clients[c].ReceiveAsync();
                    Assert.Equal($"client {c} datagram {i}", Encoding.ASCII.GetString(reply));
                    Assert.Equal(relay.ListenAt(), from);
                }
            }

            await relay.Relay.StopAsync();
            for (var c = 0; c < clients.Count; c++)
            {
                var client = clients[c].LocalEndPoint;
                var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Client.Equals(client), TimeSpan.FromSeconds(10));
                var expectedBytes = 4 + Enumerable.Range(0, Burst).Sum(i => $"client {c} datagram {i}".Length);
                Assert.Equal(new TrafficCounters(expectedBytes, expectedBytes, expectedBytes, expectedBytes, Burst + 1, Burst + 1, Burst + 1, Burst + 1), closed.Counters);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Relays_over_IPv6()
    {
        await using var target = new UdpEchoTarget(IPAddress.IPv6Loopback);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(IPAddress.IPv6Loopback, 0), target.EndPoint)));
        using var client = new UdpTestClient(IPAddress.IPv6Loopback);

        var from = await client.EchoAsync("over six"u8.ToArray(), relay.ListenAt());

        Assert.Equal(relay.ListenAt(), from);
        var opened = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened, TimeSpan.FromSeconds(5));
        Assert.Equal(target.EndPoint, opened.Target);
        Assert.Equal(TransportProtocol.Udp, opened.Protocol);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task A_wildcard_IPv6_listener_replies_from_the_address_reached()
    {
        await using var target = new UdpEchoTarget(IPAddress.IPv6Loopback);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(IPAddress.IPv6Any, 0), target.EndPoint)));
        using var client = new UdpTestClient(IPAddress.IPv6Loopback);

        var from = await client.EchoAsync("wild six"u8.ToArray(), relay.ListenAt(IPAddress.IPv6Loopback));

        Assert.Equal(relay.ListenAt(IPAddress.IPv6Loopback), from);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task The_outgoing_socket_is_bound_to_the_chosen_source_address()
    {
        var source = IPAddress.Parse("127.0.0.6");
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { RedirectFrom = source }));
        using var client = new UdpTestClient(ClientHost);

        await client.EchoAsync("from .6"u8.ToArray(), relay.ListenAt());

        Assert.Equal(source, Assert.Single(target.Senders).Address);
    }
}
