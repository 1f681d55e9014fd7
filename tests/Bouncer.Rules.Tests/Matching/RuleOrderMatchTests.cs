using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>First match in file order, protocol filter, block rules, the implicit block, and the per-listener path.</summary>
public sealed class RuleOrderMatchTests
{
    private static readonly RuleTable Mixed = Table(
        Block(1).FromAddress("198.51.100.7/32"),
        Pass(2).FromAddress("198.51.100.0/24"),
        Pass(3).FromAddress("0/0").OnlyFor(Protocols.Udp),
        Block(4).FromAddress("0.0.0.0/0").OnlyFor(Protocols.Tcp),
        Pass(5).FromAddress("2001:db8::/32").ToEndpoint("::", 53).OnlyFor(Protocols.Udp),
        Pass(6).FromAddress("::/0").ToEndpoint("::", 53));

    [Fact]
    public async Task FirstMatchingRuleWinsOverLaterOnes()
    {
        var blocked = await MatchHarness.MatchAsync(Mixed, "198.51.100.7");
        var passed = await MatchHarness.MatchAsync(Mixed, "198.51.100.8");

        Assert.Equal("block(1)", blocked.Label);
        Assert.Equal(Verdict.Block, blocked.Verdict);
        Assert.Equal("pass(2)", passed.Label);
        Assert.Equal(Verdict.Pass, passed.Verdict);
    }

    [Fact]
    public async Task ProtocolFilterSkipsRulesOfTheOtherProtocol()
    {
        Assert.Equal("block(4)", (await MatchHarness.MatchAsync(Mixed, "203.0.113.9", protocol: TransportProtocol.Tcp)).Label);
        Assert.Equal("pass(3)", (await MatchHarness.MatchAsync(Mixed, "203.0.113.9", protocol: TransportProtocol.Udp)).Label);
        Assert.Equal("pass(5)", (await MatchHarness.MatchAsync(Mixed, "2001:db8::7", local: "2001:db8::53", localPort: 53, protocol: TransportProtocol.Udp)).Label);
        Assert.Equal("pass(6)", (await MatchHarness.MatchAsync(Mixed, "2001:db8::7", local: "2001:db8::53", localPort: 53, protocol: TransportProtocol.Tcp)).Label);
    }

    [Fact]
    public async Task NoMatchingRuleIsTheImplicitBlock()
    {
        var rule = await MatchHarness.MatchAsync(Mixed, "2001:db8::7", local: "2001:db8::10", localPort: 80);

        Assert.Same(Rule.ImplicitBlock, rule);
        Assert.Equal("block(0)", rule.Label);
    }

    [Fact]
    public async Task EmptyTableBlocksEverything()
    {
        var rule = await MatchHarness.MatchAsync(Table(), "198.51.100.7");

        Assert.Same(Rule.ImplicitBlock, rule);
    }

    [Fact]
    public async Task ListenerMatchingAgreesWithWholeTableMatching()
    {
        var matcher = new RuleMatcher(new MatchFakeNameResolver());
        string[] clients = ["198.51.100.7", "198.51.100.8", "203.0.113.9", "2001:db8::7", "2001:db9::7", "::ffff:198.51.100.7"];
        int[] sourcePorts = [53, 40000];
        var checkedPairs = 0;

        foreach (var listener in Mixed.Listeners)
        {
            foreach (var client in clients)
            {
                foreach (var sourcePort in sourcePorts)
                {
                    var clientEndpoint = Endpoint(client, sourcePort);
                    var local = Endpoint(listener.Endpoint.IsWildcard ? MatchHarness.LocalFor(client) : listener.Endpoint.Address.ToString(), listener.Endpoint.Port);
                    if (local.AddressFamily != listener.Endpoint.Address.AddressFamily)
                    {
                        continue;
                    }

                    var viaListener = await matcher.MatchAsync(Mixed.ListenersByKey[listener.Key].Rules, listener.Protocol, clientEndpoint, local);
                    var viaTable = await matcher.MatchAsync(Mixed, listener.Protocol, clientEndpoint, local);
                    Assert.Same(viaTable, viaListener);
                    checkedPairs++;
                }
            }
        }

        Assert.True(checkedPairs >= 20, $"only {checkedPairs} cases compared");
    }

    [Fact]
    public async Task ListenerMatchingUsesTheListenerProtocol()
    {
        var matcher = new RuleMatcher(new MatchFakeNameResolver());
        var udp = Mixed.ListenersByKey[new ListenerKey(TransportProtocol.Udp, new ListenEndpoint(System.Net.IPAddress.Parse(MatchHarness.Local), 80))];
        var tcp = Mixed.ListenersByKey[new ListenerKey(TransportProtocol.Tcp, new ListenEndpoint(System.Net.IPAddress.Parse(MatchHarness.Local), 80))];
        var client = Endpoint("203.0.113.9", 40000);
        var local = Endpoint(MatchHarness.Local, 80);

        Assert.Equal("pass(3)", (await matcher.MatchAsync(udp.Rules, udp.Protocol, client, local)).Label);
        Assert.Equal("block(4)", (await matcher.MatchAsync(tcp.Rules, tcp.Protocol, client, local)).Label);
    }
}
