using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class MatchingTests
{
    [Fact(Timeout = 20_000)]
    public async Task First_matching_rule_by_source_network_decides()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var blocked = TestNet.NextAddress();
        var allowed = TestNet.NextAddress();
        await using var bouncer = await EngineHarness.StartAsync(Table(
            Block(1, listen) with { From = From($"{blocked}/32") },
            Pass(2, listen, target.EndPoint) with { From = From("127.0.0.0/8") }));

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(blocked, 0), TimeSpan.FromSeconds(10)));
        var block = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.Blocked, block.Reason);
        Assert.Equal(blocked, block.Client.Address);
        Assert.Null(block.Target);

        using var passed = await TestNet.ConnectAsync(listen, new IPEndPoint(allowed, 0));
        await TestNet.SendAllAsync(passed, new byte[3], default);
        Assert.Equal(3, (await TestNet.ReceiveExactlyAsync(passed, 3, default)).Length);
        Assert.Equal(1, target.Accepted);
    }

    [Fact(Timeout = 20_000)]
    public async Task No_matching_rule_is_the_implicit_block()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint) with { From = From("127.255.255.254/32") }));

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(0);
        Assert.Same(Rule.ImplicitBlock, closed.Rule);
        Assert.Equal(EndReason.Blocked, closed.Reason);
        Assert.Equal(0, target.Accepted);
    }

    [Fact(Timeout = 20_000)]
    public async Task Domain_pattern_matches_reverse_names_on_label_boundaries()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var partner = TestNet.NextAddress();
        var impostor = TestNet.NextAddress();
        var resolver = new FakeResolver();
        resolver.ReverseNames[partner] = "gw.partner.example";
        resolver.ReverseNames[impostor] = "gw.evilpartner.example";
        var rule = Pass(1, listen, target.EndPoint) with { From = new ClientSelector(new DomainPattern("partner.example"), PortMatch.Any) };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), resolver);

        using var good = await TestNet.ConnectAsync(listen, new IPEndPoint(partner, 0));
        await TestNet.SendAllAsync(good, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(good, 1, default));

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(impostor, 0), TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(0);
        Assert.Equal(impostor, closed.Client.Address);
    }

    [Fact(Timeout = 20_000)]
    public async Task Hostname_pattern_matches_the_names_addresses()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var known = TestNet.NextAddress();
        var resolver = new FakeResolver();
        resolver.Hosts["office.example"] = [known];
        var rule = Pass(1, listen, target.EndPoint) with { From = new ClientSelector(new HostnamePattern("office.example"), PortMatch.Any) };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), resolver);

        using var good = await TestNet.ConnectAsync(listen, new IPEndPoint(known, 0));
        await TestNet.SendAllAsync(good, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(good, 1, default));

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(TestNet.NextAddress(), 0), TimeSpan.FromSeconds(10)));
    }

    [Theory(Timeout = 20_000)]
    [InlineData(PortOperator.Equal, 0, true)]
    [InlineData(PortOperator.NotEqual, 0, false)]
    [InlineData(PortOperator.GreaterOrEqual, 0, true)]
    [InlineData(PortOperator.Greater, 0, false)]
    [InlineData(PortOperator.Less, 1, true)]
    [InlineData(PortOperator.LessOrEqual, -1, false)]
    public async Task Source_port_operators_decide(PortOperator op, int offset, bool passes)
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var source = TestNet.FreeEndPoint();
        var operand = source.Port + offset;
        var rule = Pass(1, listen, target.EndPoint) with { From = new ClientSelector(AnyAddressPattern.Instance, new PortMatch(op, operand, operand)) };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        // Open: a byte makes the round trip through the target. Refused: the connection is reset.
        Assert.Equal(passes ? "open" : "reset", passes
            ? await RoundTripAsync(listen, source)
            : await TestNet.ConnectAndWaitForEndAsync(listen, source, TimeSpan.FromSeconds(10)));
        var decided = await bouncer.Events.WaitForAsync(e => e.Phase is SessionPhase.Opened or SessionPhase.Closed);

        Assert.Equal(passes ? 1 : 0, decided.Rule.Number);
    }

    [Fact(Timeout = 20_000)]
    public async Task Source_port_range_decides()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var inside = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with
        {
            From = new ClientSelector(AnyAddressPattern.Instance, new PortMatch(PortOperator.Range, inside.Port - 1, inside.Port + 1)),
        };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        using var client = await TestNet.ConnectAsync(listen, inside);

        Assert.Equal(SessionPhase.Opened, (await bouncer.Events.WaitForAsync(e => e.Rule.Number == 1)).Phase);
    }

    private static async Task<string> RoundTripAsync(IPEndPoint listen, IPEndPoint source)
    {
        using var client = await TestNet.ConnectAsync(listen, source);
        await TestNet.SendAllAsync(client, new byte[] { 7 }, default);
        return (await TestNet.ReceiveExactlyAsync(client, 1, default)).Length == 1 ? "open" : "eof";
    }
}
