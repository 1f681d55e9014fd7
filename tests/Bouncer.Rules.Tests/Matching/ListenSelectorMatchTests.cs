using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>The <c>to:</c> condition: the local address and port the client reached, with wildcards.</summary>
public sealed class ListenSelectorMatchTests
{
    [Theory]
    [InlineData("192.0.2.10", 80, true)]
    [InlineData("192.0.2.10", 81, false)]
    [InlineData("192.0.2.11", 80, false)]
    public async Task SpecificAddressMatchesOnlyItsAddressAndPort(string local, int localPort, bool matches)
    {
        var table = Table(Pass(1).ToEndpoint("192.0.2.10", 80));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", local: local, localPort: localPort);

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Theory]
    [InlineData("192.0.2.10", 80, true)]
    [InlineData("203.0.113.5", 80, true)]
    [InlineData("127.0.0.2", 80, true)]
    [InlineData("192.0.2.10", 8080, false)]
    [InlineData("2001:db8::10", 80, false)]
    public async Task Ipv4WildcardMatchesAnyLocalIpv4Address(string local, int localPort, bool matches)
    {
        var table = Table(Pass(1).FromAddress("0/0").ToEndpoint("0.0.0.0", 80));

        var client = local.Contains(':', StringComparison.Ordinal) ? "2001:db8::7" : "198.51.100.7";
        var rule = await MatchHarness.MatchAsync(table, client, local: local, localPort: localPort);

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Theory]
    [InlineData("2001:db8::10", 80, true)]
    [InlineData("::1", 80, true)]
    [InlineData("2001:db8::10", 8080, false)]
    [InlineData("192.0.2.10", 80, false)]
    public async Task Ipv6WildcardMatchesAnyLocalIpv6Address(string local, int localPort, bool matches)
    {
        var table = Table(Pass(1).FromAddress("0/0").ToEndpoint("::", 80));

        var client = local.Contains(':', StringComparison.Ordinal) ? "2001:db8::7" : "198.51.100.7";
        var rule = await MatchHarness.MatchAsync(table, client, local: local, localPort: localPort);

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Fact]
    public async Task IPv4MappedLocalAddressMatchesTheIpv4Endpoint()
    {
        var table = Table(Pass(1).FromAddress("198.51.100.0/24").ToEndpoint("192.0.2.10", 80));

        var rule = await MatchHarness.MatchAsync(table, "::ffff:198.51.100.7", local: "::ffff:192.0.2.10");

        Assert.Equal(1, rule.Number);
    }

    [Fact]
    public async Task RuleWithSeveralEndpointsMatchesEachOfThem()
    {
        var table = Table(Pass(1).ToEndpoints(("192.0.2.10", 80), ("2001:db8::10", 80), ("192.0.2.11", 443)));

        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "198.51.100.7", local: "192.0.2.10", localPort: 80)).Number);
        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "2001:db8::7", local: "2001:db8::10", localPort: 80)).Number);
        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "198.51.100.7", local: "192.0.2.11", localPort: 443)).Number);
        Assert.Equal(0, (await MatchHarness.MatchAsync(table, "198.51.100.7", local: "192.0.2.11", localPort: 80)).Number);
    }
}
