using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

public sealed class UdpFlowLifetimeTests
{
    private const int TestTimeout = 30_000;

    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(10);
    private static readonly IPAddress Listen = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress TargetHost = IPAddress.Parse("127.0.0.4");
    private static readonly IPAddress ClientHost = IPAddress.Parse("127.0.0.5");
    private static readonly IPAddress OtherClientHost = IPAddress.Parse("127.0.0.6");

    [Fact(Timeout = TestTimeout)]
    public async Task An_idle_flow_expires_with_a_Closed_event_carrying_bytes_and_packets_each_way()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        var clock = new FakeClock();
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint).WithIdle(TimeSpan.FromSeconds(1))),
            new EngineOptions { Time = clock });
        using var client = new UdpTestClient(ClientHost);

        await client.EchoAsync(new byte[100], relay.ListenAt());
        clock.Advance(TimeSpan.FromSeconds(1));
        var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed, EventWait);

        Assert.Equal(EndReason.IoTimeout, closed.Reason);
        Assert.Equal(TransportProtocol.Udp, closed.Protocol);
        Assert.Equal(client.LocalEndPoint, closed.Client);
        Assert.Equal(relay.ListenAt(), closed.Local);
        Assert.Equal(target.EndPoint, closed.Target);
        Assert.NotNull(closed.Outgoing);
        Assert.Equal(new TrafficCounters(100, 100, 100, 100, 1, 1, 1, 1), closed.Counters);
        Assert.True(closed.Duration > TimeSpan.Zero);
        Assert.Equal(0, relay.Relay.FlowCount);

        // The client comes back: a new flow with a new outgoing socket.
        await client.EchoAsync(new byte[10], relay.ListenAt());
        Assert.Equal(2, relay.Events.Events.Count(e => e.Phase == SessionPhase.Opened));
        Assert.Equal(2, target.DistinctSenders);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Stopping_the_listener_ends_its_flows_with_administrative_termination()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint)));
        using var first = new UdpTestClient(ClientHost);
        using var second = new UdpTestClient(OtherClientHost);
        await first.EchoAsync("one"u8.ToArray(), relay.ListenAt());
        await second.EchoAsync("two"u8.ToArray(), relay.ListenAt());

        await relay.Relay.StopAsync();

        await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed && e.Client.Equals(second.LocalEndPoint), EventWait);
        var closed = relay.Events.Events.Where(e => e.Phase == SessionPhase.Closed).ToList();
        Assert.Equal(2, closed.Count);
        Assert.All(closed, e => Assert.Equal(EndReason.AdministrativeTermination, e.Reason));
        Assert.Equal(0, relay.Relay.FlowCount);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task A_block_rule_drops_the_datagram_and_raises_a_blocked_event()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(
            UdpRules.Block(1, new IPEndPoint(Listen, 0)).FromHost("127.0.0.5"),
            UdpRules.Pass(2, new IPEndPoint(Listen, 0), target.EndPoint)));
        using var blocked = new UdpTestClient(ClientHost);
        using var passed = new UdpTestClient(OtherClientHost);

        await blocked.SendAsync("let me in"u8.ToArray(), relay.ListenAt());
        var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed, EventWait);
        await passed.EchoAsync("fine"u8.ToArray(), relay.ListenAt());

        Assert.Equal(EndReason.Blocked, closed.Reason);
        Assert.Equal(1, closed.Rule.Number);
        Assert.Null(closed.Outgoing);
        Assert.False(blocked.HasReceivedAnything); // Not by the time a later client's datagram made the round trip.
        Assert.Equal(1, target.DistinctSenders);
        Assert.DoesNotContain(relay.Events.Events, e => e.Phase == SessionPhase.Opened && e.Client.Equals(blocked.LocalEndPoint));
    }

    [Fact(Timeout = TestTimeout)]
    public async Task No_matching_rule_is_the_implicit_block_and_a_flood_of_blocked_datagrams_is_reported_by_sample_and_count()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        var clock = new FakeClock();
        var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint).FromHost("127.0.0.9")),
            new EngineOptions { Time = clock });
        using var client = new UdpTestClient(ClientHost);

        for (var i = 0; i < 500; i++)
        {
            await client.SendAsync(new byte[] { 1 }, relay.ListenAt());
        }

        // The clock stands still: one window's sample is published, the rest are counted. A datagram
        // in the next window is published after all of them (one client, one socket, in order), with the count.
        await relay.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Closed, 20, EventWait);
        clock.Advance(TimeSpan.FromSeconds(1));
        await client.SendAsync(new byte[] { 2 }, relay.ListenAt());
        await relay.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Closed, 21, EventWait);
        await relay.DisposeAsync();

        var blocked = relay.Events.Events.Where(e => e.Phase == SessionPhase.Closed).ToList();
        Assert.All(blocked, e => Assert.Equal(0, e.Rule.Number));
        Assert.All(blocked, e => Assert.Equal(EndReason.Blocked, e.Reason));

        // 20 per second are published; sending 500 takes far less than the seconds needed to publish them all.
        Assert.InRange(blocked.Count, 1, 100);
        Assert.Contains(relay.Log.Lines, n => n.Contains("more datagrams from blocked or refused clients were not reported", StringComparison.Ordinal));
        Assert.Equal(0, target.DistinctSenders);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Session_max_counts_live_flows_and_frees_a_place_when_one_expires()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        var clock = new FakeClock();
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(
                UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint).WithIdle(TimeSpan.FromSeconds(1)) with { Limits = new SessionLimits(2, null, null, null) }),
            new EngineOptions { Time = clock });
        using var first = new UdpTestClient(ClientHost);
        using var second = new UdpTestClient(ClientHost);
        using var third = new UdpTestClient(ClientHost);

        await first.EchoAsync("1"u8.ToArray(), relay.ListenAt());
        await second.EchoAsync("2"u8.ToArray(), relay.ListenAt());
        await third.SendAsync("3"u8.ToArray(), relay.ListenAt());
        var refused = await relay.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached, EventWait);

        await second.EchoAsync("2 again"u8.ToArray(), relay.ListenAt());

        Assert.Equal(third.LocalEndPoint, refused.Client);
        Assert.Equal("session.max", refused.ErrorDetail);
        Assert.False(third.HasReceivedAnything); // Not by the time a later datagram made the round trip.
        Assert.Contains(relay.Log.Lines, n => n.Contains("session.max reached, refusing udp client", StringComparison.Ordinal));

        // Once the two flows have expired, the third client gets a place.
        clock.Advance(TimeSpan.FromSeconds(1));
        await relay.Events.WaitForAsync(e => e.Reason == EndReason.IoTimeout && e.Client.Equals(second.LocalEndPoint), EventWait);
        await relay.Events.WaitForAsync(e => e.Reason == EndReason.IoTimeout && e.Client.Equals(first.LocalEndPoint), EventWait);
        await third.EchoAsync("3 again"u8.ToArray(), relay.ListenAt());
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Session_state_max_limits_flows_per_client_address()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(
            UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { Limits = new SessionLimits(null, null, 1, null) }));
        using var first = new UdpTestClient(ClientHost);
        using var sameAddress = new UdpTestClient(ClientHost);
        using var otherAddress = new UdpTestClient(OtherClientHost);

        await first.EchoAsync("a"u8.ToArray(), relay.ListenAt());
        await sameAddress.SendAsync("b"u8.ToArray(), relay.ListenAt());
        var refused = await relay.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached, EventWait);
        await otherAddress.EchoAsync("c"u8.ToArray(), relay.ListenAt());

        Assert.Equal(sameAddress.LocalEndPoint, refused.Client);
        Assert.Equal("session.state.max", refused.ErrorDetail);
        Assert.Equal(2, target.DistinctSenders);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Session_throttle_limits_new_flows_per_period()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(
                UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { Limits = new SessionLimits(null, new Throttle(2, TimeSpan.FromMinutes(1)), null, null) }),
            new EngineOptions { Time = new FakeClock() });
        using var first = new UdpTestClient(ClientHost);
        using var second = new UdpTestClient(ClientHost);
        using var third = new UdpTestClient(OtherClientHost);

        await first.EchoAsync("a"u8.ToArray(), relay.ListenAt());
        await second.EchoAsync("b"u8.ToArray(), relay.ListenAt());
        await third.SendAsync("c"u8.ToArray(), relay.ListenAt());
        var refused = await relay.Events.WaitForAsync(e => e.Reason == EndReason.SessionLimitReached, EventWait);

        Assert.Equal(third.LocalEndPoint, refused.Client);
        Assert.Equal("session.throttle", refused.ErrorDetail);

        // Live flows are not throttled, only new ones.
        await first.EchoAsync("a again"u8.ToArray(), relay.ListenAt());
    }

    [Fact(Timeout = TestTimeout)]
    public async Task Bandwidth_drops_client_datagrams_over_the_rules_rate()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var relay = UdpRelayHarness.Start(
            RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { BandwidthBytesPerSecond = 1000 }),
            new EngineOptions { Time = new FakeClock() });
        using var client = new UdpTestClient(ClientHost);

        // One 1000-byte datagram is a second's worth; 20 sent at once cannot all pass.
        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(new byte[1000], relay.ListenAt());
        }

        await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened, EventWait);
        await relay.WaitForLiveAsync(flows => flows.Sum(f => f.Counters.PacketsFromClient) == 20, EventWait);
        await relay.Relay.StopAsync();
        var closed = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Closed, EventWait);

        Assert.Equal(20, closed.Counters.PacketsFromClient);
        Assert.InRange(closed.Counters.PacketsToTarget, 1, 5);
    }

    [Fact(Timeout = TestTimeout)]
    public async Task IoOperation_events_are_raised_per_datagram_only_when_the_rule_asks()
    {
        await using var target = new UdpEchoTarget(TargetHost);
        await using var logged = UdpRelayHarness.Start(RuleBuilder.Table(
            UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { Log = LogEvents.Data }));
        await using var quiet = UdpRelayHarness.Start(RuleBuilder.Table(
            UdpRules.Pass(1, new IPEndPoint(Listen, 0), target.EndPoint) with { Log = LogEvents.Connect | LogEvents.Disconnect }));
        using var client = new UdpTestClient(ClientHost);

        await client.EchoAsync("seen"u8.ToArray(), logged.ListenAt());
        await client.EchoAsync("unseen"u8.ToArray(), quiet.ListenAt());
        var toClient = await logged.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.TargetToClient, EventWait);

        var toTarget = Assert.Single(logged.Events.Events, e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget);
        Assert.Equal(4, toTarget.IoBytes);
        Assert.Equal("seen"u8.ToArray(), toTarget.Payload.ToArray());
        Assert.Equal(4, toClient.IoBytes);
        Assert.DoesNotContain(quiet.Events.Events, e => e.Phase == SessionPhase.IoOperation);
    }
}
