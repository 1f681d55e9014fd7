using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

[Trait("Suite", "Reliability")]
public sealed class UdpRelaySafetyTests
{
    private const int TestTimeout = 60_000;

    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(10);
    private static readonly IPAddress Listen = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress TargetHost = IPAddress.Parse("127.0.0.4");
    private static readonly IPAddress ClientHost = IPAddress.Parse("127.0.0.5");
    private static readonly IPAddress ThirdPartyHost = IPAddress.Parse("127.0.0.7");
    private static readonly IPAddress DeadTargetClientHost = IPAddress.Parse("127.0.0.8");
    private static readonly IPAddress FloodHost = IPAddress.Parse("127.0.0.9");

    [Fact(Timeout = TestTimeout)]
    public async Task With_connectdst_a_third_party_sending_to_the_outgoing_socket_never_reaches_the_client()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)));
        using var client = new UdpTestClient(ClientHost);
        using var thirdParty = new UdpTestClient(ThirdPartyHost);

        await client.EchoAsync("first"u8.ToArray(), relay.ListenAt());
        var opened = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened, EventWait);
        for (var i = 0; i < 5; i++)
        {
            await thirdParty.SendAsync("reflected?"u8.ToArray(), opened.Outgoing!);
        }

        // Sent after them, "second" comes back through the same outgoing socket: had any of them
        // been relayed, it would have reached the client first.
        await client.SendAsync("second"u8.ToArray(), relay.ListenAt());
        var (next, _) = await client.ReceiveAsync(EventWait);
        Assert.Equal("second"u8.ToArray(), next);
        await relay.Relay.StopAsync();
        var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed, EventWait);
        Assert.Equal(2, closed.Counters.PacketsFromTarget);
        Assert.Equal(2, closed.Counters.PacketsToClient);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Without_connectdst_replies_from_any_address_are_relayed()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(
            Settings.Defaults with { UdpConnectDestination = false },
            UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)));
        using var client = new UdpTestClient(ClientHost);
        using var otherServer = new UdpTestClient(ThirdPartyHost);

        var from = await client.EchoAsync("first"u8.ToArray(), relay.ListenAt());
        var outgoingPort = Assert.Single(target.Senders).Port;
        await otherServer.SendAsync("from elsewhere"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, outgoingPort));
        var (payload, replyFrom) = await client.ReceiveAsync();

        Assert.Equal("from elsewhere"u8.ToArray(), payload);
        Assert.Equal(relay.ListenAt(), replyFrom);
        Assert.Equal(relay.ListenAt(), from);
    }

    [Theory(Timeout = TestTimeout)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Port_unreachable_from_a_dead_target_ends_only_that_flow(bool batches)
    {
        await using var target = new UdpEchoTarget(TargetHost);
        var deadTarget = ClosedPort(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(
                UdpRules.Pass(1, new IPEndPoint(Listen, 0), deadTarget).FromHost("127.0.0.8"),
                UdpRules.Pass(2, new IPEndPoint(Listen, 0), target.EndPoint)),
            new EngineOptions { DatagramBatches = batches });
        using var live = new UdpTestClient(ClientHost);
        using var toDead = new UdpTestClient(DeadTargetClientHost);
        await live.EchoAsync("before"u8.ToArray(), relay.ListenAt());

        await toDead.SendAsync("anyone?"u8.ToArray(), relay.ListenAt());
        var refused = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Client.Equals(toDead.LocalEndPoint), EventWait);
        for (var i = 0; i < 5; i++)
        {
            await toDead.SendAsync("still there?"u8.ToArray(), relay.ListenAt());
        }

        Assert.Equal(EndReason.RemotePeerError, refused.Reason);
        Assert.Equal("Connection refused", refused.ErrorDetail);
        Assert.Equal(deadTarget, refused.Target);

        // The listener and the other flow carry on; so does a new client.
        await live.EchoAsync("after"u8.ToArray(), relay.ListenAt());
        using var newcomer = new UdpTestClient(ClientHost);
        await newcomer.EchoAsync("new"u8.ToArray(), relay.ListenAt());
        Assert.Single(relay.Events.Events, e => e.Phase == SessionPhase.Opened && e.Client.Equals(live.LocalEndPoint));
        Assert.DoesNotContain(relay.Events.Events, e => e.Phase == SessionPhase.Closed && e.Client.Equals(live.LocalEndPoint));
    }

    [Fact(Timeout = TestTimeout)]
    public async Task The_flow_cap_holds_under_a_burst_from_20000_source_ports_and_existing_flows_keep_working()
    {
        const int Cap = 50;
        const int Burst = 20_000;
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)),
            new EngineOptions { MaxUdpFlows = Cap });
        var legitimate = Enumerable.Range(0, 5).Select(_ => new UdpTestClient(ClientHost)).ToList();
        try
        {
            foreach (var client in legitimate)
            {
                await client.EchoAsync("hello"u8.ToArray(), relay.ListenAt());
            }

            var clock = Stopwatch.StartNew();
            var listenAt = relay.ListenAt().Serialize();
            for (var i = 0; i < Burst && clock.Elapsed < TimeSpan.FromSeconds(30); i++)
            {
                using var spoof = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                spoof.Bind(new IPEndPoint(FloodHost, 0));
                spoof.SendTo([(byte)i], SocketFlags.None, listenAt);
            }

            Assert.InRange(relay.Relay.FlowCount, 1, Cap);
            Assert.InRange(relay.Sessions, 1, Cap);
            foreach (var client in legitimate)
            {
                await client.EchoAsync("still served"u8.ToArray(), relay.ListenAt());
            }

            Assert.Contains(relay.Log.Lines, n => n.Contains($"limit of {Cap} live flows reached", StringComparison.Ordinal));
            Assert.InRange(relay.Relay.FlowCount, 1, Cap);
            Assert.InRange(target.DistinctSenders, 5, Cap);
        }
        finally
        {
            legitimate.ForEach(c => c.Dispose());
        }
    }

    [Fact(Timeout = TestTimeout)]
    public async Task The_engine_opens_UDP_listeners_and_ends_flows_when_it_stops()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        var listen = new IPEndPoint(Listen, FreeUdpPort(Listen));
        var events = new RecordingSink();
        await using var engine = new BouncerEngine(new EngineOptions(), events, new RecordingLog(), new FakeResolver());
        await engine.StartAsync(RuleBuilder.Table(UdpRules.Pass(1, listen, target.EndPoint)), CancellationToken.None);
        using var client = new UdpTestClient(ClientHost);

        var from = await client.EchoAsync("via engine"u8.ToArray(), listen);
        Assert.Equal(1, engine.ActiveSessions);
        await engine.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(listen, from);
        var closed = await events.WaitForAsync(e => e.Phase == SessionPhase.Closed, EventWait);
        Assert.Equal(EndReason.AdministrativeTermination, closed.Reason);
        Assert.Equal(0, engine.ActiveSessions);
    }

    private static IPEndPoint ClosedPort(IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    private static int FreeUdpPort(IPAddress address) => ClosedPort(address).Port;
}
