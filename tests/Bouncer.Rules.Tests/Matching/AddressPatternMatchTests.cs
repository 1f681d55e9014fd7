using Bouncer.Rules.Model;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>The IP forms of <c>from:</c>: networks of each family, <c>0/0</c>, and IPv4-mapped clients.</summary>
public sealed class AddressPatternMatchTests
{
    [Theory]
    [InlineData("198.51.100.0/24", "198.51.100.7", true)]
    [InlineData("198.51.100.0/24", "198.51.100.255", true)]
    [InlineData("198.51.100.0/24", "198.51.101.7", false)]
    [InlineData("198.51.100.7/32", "198.51.100.7", true)]
    [InlineData("198.51.100.7/32", "198.51.100.8", false)]
    [InlineData("198.51.96.0/20", "198.51.111.1", true)]
    [InlineData("198.51.96.0/20", "198.51.112.1", false)]
    [InlineData("198.51.100.128/25", "198.51.100.127", false)]
    [InlineData("198.51.100.128/25", "198.51.100.128", true)]
    [InlineData("0.0.0.0/0", "203.0.113.1", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("198.51.100.0/24", "::ffff:198.51.100.7", true)]
    [InlineData("198.51.100.0/24", "::ffff:198.51.101.7", false)]
    [InlineData("0.0.0.0/0", "::ffff:203.0.113.1", true)]
    public async Task Ipv4NetworkMatchesItsOwnAddressesOnly(string from, string client, bool matches)
    {
        var table = Table(Pass(1).FromAddress(from).ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        var rule = await MatchHarness.MatchAsync(table, client, local: MatchHarness.LocalFor(client));

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Theory]
    [InlineData("2001:db8:1::/48", "2001:db8:1:ffff::7", true)]
    [InlineData("2001:db8:1::/48", "2001:db8:2::7", false)]
    [InlineData("2001:db8::7/128", "2001:db8::7", true)]
    [InlineData("2001:db8::7/128", "2001:db8::8", false)]
    [InlineData("2001:db8:0:10::/60", "2001:db8:0:1f::1", true)]
    [InlineData("2001:db8:0:10::/60", "2001:db8:0:20::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "::1", true)]
    [InlineData("::/0", "198.51.100.7", false)]
    [InlineData("::/0", "::ffff:198.51.100.7", false)]
    public async Task Ipv6NetworkMatchesItsOwnAddressesOnly(string from, string client, bool matches)
    {
        var table = Table(Pass(1).FromAddress(from).ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        var rule = await MatchHarness.MatchAsync(table, client, local: MatchHarness.LocalFor(client));

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Theory]
    [InlineData("203.0.113.1", MatchHarness.Local)]
    [InlineData("2001:db8::1", "2001:db8::10")]
    [InlineData("::ffff:203.0.113.1", MatchHarness.Local)]
    public async Task AnyAddressMatchesBothFamilies(string client, string local)
    {
        var table = Table(Pass(1).FromAddress("0/0").ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        var rule = await MatchHarness.MatchAsync(table, client, local: local);

        Assert.Equal(1, rule.Number);
        Assert.IsType<AnyAddressPattern>(rule.From.Address);
    }

    [Fact]
    public async Task FamilySpecificZeroNetworksSplitTheFamilies()
    {
        var table = Table(
            Pass(1).FromAddress("0.0.0.0/0").ToEndpoints(("0.0.0.0", 80), ("::", 80)),
            Pass(2).FromAddress("::/0").ToEndpoints(("0.0.0.0", 80), ("::", 80)));

        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "198.51.100.7")).Number);
        Assert.Equal(2, (await MatchHarness.MatchAsync(table, "2001:db8::7", local: "2001:db8::10")).Number);
    }
}
