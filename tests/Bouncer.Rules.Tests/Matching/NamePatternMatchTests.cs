using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary><c>.domain</c> and hostname <c>from:</c> patterns, answered by a fake resolver.</summary>
public sealed class NamePatternMatchTests
{
    private const int Timeout = 10_000;

    [Theory(Timeout = Timeout)]
    [InlineData("a.partner.example", true)]
    [InlineData("deep.a.partner.example", true)]
    [InlineData("partner.example", true)]
    [InlineData("A.Partner.EXAMPLE", true)]
    [InlineData("a.partner.example.", true)]
    [InlineData("partner.example.", true)]
    [InlineData("evilpartner.example", false)]
    [InlineData("a.evilpartner.example", false)]
    [InlineData("partner.example.evil", false)]
    [InlineData("example", false)]
    [InlineData("other.example", false)]
    public async Task DomainRespectsTheLabelBoundary(string reverseName, bool matches)
    {
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", reverseName);
        var table = Table(Pass(1).FromAddress(".partner.example"));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver);

        Assert.Equal(matches ? 1 : 0, rule.Number);
        Assert.Equal(1, resolver.ReverseLookups);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("2001:db8::7", "v6.partner.example", true)]
    [InlineData("2001:db8::7", "v6.elsewhere.example", false)]
    [InlineData("::ffff:198.51.100.7", "mapped.partner.example", true)]
    public async Task DomainWorksForBothFamilies(string client, string reverseName, bool matches)
    {
        // A mapped client is looked up by its IPv4 address, so the fake knows it in that form.
        var lookedUp = client.StartsWith("::ffff:", StringComparison.Ordinal) ? client["::ffff:".Length..] : client;
        var resolver = new MatchFakeNameResolver().WithReverse(lookedUp, reverseName);
        var table = Table(Pass(1).FromAddress(".Partner.Example.").ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        var rule = await MatchHarness.MatchAsync(table, client, local: MatchHarness.LocalFor(client), resolver: resolver);

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("198.51.100.7")]
    [InlineData("198.51.100.99")]
    public async Task ClientWithoutUsableReverseNameDoesNotMatchADomain(string client)
    {
        // .99 has no name; .7's resolver answers with the address itself, which is no name either.
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", "198.51.100.7");
        var table = Table(Pass(1).FromAddress(".partner.example"), Block(2).FromAddress("0/0"));

        var rule = await MatchHarness.MatchAsync(table, client, resolver: resolver);

        Assert.Equal("block(2)", rule.Label);
    }

    [Fact(Timeout = Timeout)]
    public async Task FailingReverseLookupDoesNotMatchAndLaterRulesStillApply()
    {
        var resolver = new MatchFakeNameResolver().Failing("198.51.100.7");
        var table = Table(Pass(1).FromAddress(".partner.example"), Pass(2).FromAddress("198.51.100.0/24"));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver);

        Assert.Equal("pass(2)", rule.Label);
    }

    [Fact(Timeout = Timeout)]
    public async Task ReverseNameIsLookedUpOnceForSeveralDomainRules()
    {
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", "host.third.example");
        var table = Table(
            Pass(1).FromAddress(".first.example"),
            Pass(2).FromAddress(".second.example"),
            Pass(3).FromAddress(".third.example"));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver);

        Assert.Equal("pass(3)", rule.Label);
        Assert.Equal(1, resolver.ReverseLookups);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("198.51.100.7", true)]
    [InlineData("198.51.100.8", true)]
    [InlineData("::ffff:198.51.100.8", true)]
    [InlineData("2001:db8::25", true)]
    [InlineData("198.51.100.9", false)]
    [InlineData("2001:db8::26", false)]
    public async Task HostnameMatchesEachOfItsAddresses(string client, bool matches)
    {
        var resolver = new MatchFakeNameResolver().WithForward("mail.partner.example", "198.51.100.7", "198.51.100.8", "2001:db8::25");
        var table = Table(Pass(1).FromAddress("mail.partner.example").ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        var rule = await MatchHarness.MatchAsync(table, client, local: MatchHarness.LocalFor(client), resolver: resolver);

        Assert.Equal(matches ? 1 : 0, rule.Number);
        Assert.Equal(1, resolver.ForwardLookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task HostnameMatchesAnIpv4ClientWhenTheNameResolvesToAMappedAddress()
    {
        var resolver = new MatchFakeNameResolver().WithForward("mail.partner.example", "::ffff:198.51.100.7");
        var table = Table(Pass(1).FromAddress("mail.partner.example"));

        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver)).Number);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("unknown.partner.example")]
    [InlineData("broken.partner.example")]
    public async Task UnresolvableOrFailingHostnameDoesNotMatch(string hostname)
    {
        var resolver = new MatchFakeNameResolver().Failing("broken.partner.example");
        var table = Table(Pass(1).FromAddress(hostname), Block(2).FromAddress("198.51.100.0/24"));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver);

        Assert.Equal("block(2)", rule.Label);
        Assert.Equal(1, resolver.ForwardLookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task NoLookupWhenAnEarlierIpRuleDecides()
    {
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", "a.partner.example");
        var table = Table(Block(1).FromAddress("198.51.100.0/24"), Pass(2).FromAddress(".partner.example"));
        var matcher = new RuleMatcher(resolver);

        var pending = matcher.MatchAsync(table, TransportProtocol.Tcp, Endpoint("198.51.100.7", 40000), Endpoint(MatchHarness.Local, 80));

        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Equal("block(1)", (await pending).Label);
        Assert.Equal(0, resolver.Lookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task NoLookupForANameRuleWhosePortOrAddressExcludesTheClient()
    {
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", "a.partner.example");
        var table = Table(
            Pass(1).FromAddress(".partner.example").FromPortMatching(PortMatch.Exactly(53)),
            Pass(2).FromAddress("mail.partner.example").ToEndpoint("192.0.2.99", 80),
            Pass(3).FromAddress(".partner.example").OnlyFor(Protocols.Udp),
            Pass(4).FromAddress("198.51.100.0/24"));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver);

        Assert.Equal("pass(4)", rule.Label);
        Assert.Equal(0, resolver.Lookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task IpRulesAfterANameRuleStillMatchInOrder()
    {
        var resolver = new MatchFakeNameResolver();
        var table = Table(
            Pass(1).FromAddress(".partner.example"),
            Block(2).FromAddress("198.51.100.7/32"),
            Pass(3).FromAddress("198.51.100.0/24"));

        Assert.Equal("block(2)", (await MatchHarness.MatchAsync(table, "198.51.100.7", resolver: resolver)).Label);
        Assert.Equal("pass(3)", (await MatchHarness.MatchAsync(table, "198.51.100.8", resolver: resolver)).Label);
        Assert.Equal(0, (await MatchHarness.MatchAsync(table, "203.0.113.8", resolver: resolver)).Number);
    }

    [Fact(Timeout = Timeout)]
    public async Task CancellationOfTheCallerEndsTheMatch()
    {
        var resolver = new MatchFakeNameResolver().WithReverse("198.51.100.7", "a.partner.example");
        var table = Table(Pass(1).FromAddress(".partner.example"), Pass(2).FromAddress("0/0"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await new RuleMatcher(resolver).MatchAsync(table, TransportProtocol.Tcp, Endpoint("198.51.100.7", 40000), Endpoint(MatchHarness.Local, 80), cancelled.Token));
    }
}
