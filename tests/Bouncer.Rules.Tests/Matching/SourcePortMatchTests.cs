using Bouncer.Rules.Model;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>The port condition of <c>from:</c>, compared with the client's source port.</summary>
public sealed class SourcePortMatchTests
{
    [Theory]
    [InlineData(PortOperator.Any, 0, 0, 1, true)]
    [InlineData(PortOperator.Any, 0, 0, 65535, true)]
    [InlineData(PortOperator.Equal, 53, 53, 53, true)]
    [InlineData(PortOperator.Equal, 53, 53, 54, false)]
    [InlineData(PortOperator.NotEqual, 53, 53, 54, true)]
    [InlineData(PortOperator.NotEqual, 53, 53, 53, false)]
    [InlineData(PortOperator.Less, 1024, 1024, 1023, true)]
    [InlineData(PortOperator.Less, 1024, 1024, 1024, false)]
    [InlineData(PortOperator.Greater, 1023, 1023, 1024, true)]
    [InlineData(PortOperator.Greater, 1023, 1023, 1023, false)]
    [InlineData(PortOperator.LessOrEqual, 1024, 1024, 1024, true)]
    [InlineData(PortOperator.LessOrEqual, 1024, 1024, 1025, false)]
    [InlineData(PortOperator.GreaterOrEqual, 1024, 1024, 1024, true)]
    [InlineData(PortOperator.GreaterOrEqual, 1024, 1024, 1023, false)]
    [InlineData(PortOperator.Range, 1024, 2048, 1024, true)]
    [InlineData(PortOperator.Range, 1024, 2048, 2048, true)]
    [InlineData(PortOperator.Range, 1024, 2048, 1500, true)]
    [InlineData(PortOperator.Range, 1024, 2048, 1023, false)]
    [InlineData(PortOperator.Range, 1024, 2048, 2049, false)]
    public async Task OperatorComparesTheClientSourcePort(PortOperator op, int low, int high, int clientPort, bool matches)
    {
        var table = Table(Pass(1).FromAddress("198.51.100.0/24").FromPortMatching(new PortMatch(op, low, high)));

        var rule = await MatchHarness.MatchAsync(table, "198.51.100.7", clientPort);

        Assert.Equal(matches ? 1 : 0, rule.Number);
    }

    [Fact]
    public async Task PortIsTheSourcePortNotTheLocalPort()
    {
        var table = Table(Pass(1).FromPortMatching(PortMatch.Exactly(80)).ToEndpoint(MatchHarness.Local, 80));

        Assert.Equal(0, (await MatchHarness.MatchAsync(table, "198.51.100.7", clientPort: 40000, localPort: 80)).Number);
        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "198.51.100.7", clientPort: 80, localPort: 80)).Number);
    }

    [Fact]
    public async Task PortAppliesToIpv6ClientsToo()
    {
        var table = Table(Pass(1).FromAddress("::/0").FromPortMatching(new PortMatch(PortOperator.Range, 1024, 65535)).ToEndpoint("::", 80));

        Assert.Equal(1, (await MatchHarness.MatchAsync(table, "2001:db8::7", 50000, "2001:db8::10")).Number);
        Assert.Equal(0, (await MatchHarness.MatchAsync(table, "2001:db8::7", 1000, "2001:db8::10")).Number);
    }
}
