using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using Bouncer.Tests.Shared;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>
/// The rule files under samples/ compile cleanly and decide as their comments say. They are read
/// from the repository itself, found by walking up from the test binaries to Bouncer.sln.
/// </summary>
public sealed class SamplesMatchTests
{
    private static readonly string SamplesDirectory = Path.Combine(Repository.Root, "samples");

    private static readonly NetworkPattern[] DocumentationNetworks =
    [
        (NetworkPattern)Pattern("192.0.2.0/24"),
        (NetworkPattern)Pattern("198.51.100.0/24"),
        (NetworkPattern)Pattern("203.0.113.0/24"),
        (NetworkPattern)Pattern("2001:db8::/32"),
    ];

    public static TheoryData<string> SampleFiles() => new(SampleNames());

    private static string[] SampleNames() =>
        [.. Directory.EnumerateFiles(SamplesDirectory, "*.conf").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Fact]
    public void TheCommonJobsHaveASample()
    {
        Assert.Subset(
            new HashSet<string>(SampleNames()),
            new HashSet<string> { "quickstart.conf", "site-migration.conf", "front-door.conf", "dns-udp.conf" });
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void SampleCompilesWithoutDiagnostics(string name)
    {
        var result = Compile(name);

        Assert.True(result.Diagnostics.IsEmpty, string.Join(System.Environment.NewLine, result.Diagnostics));
        Assert.NotNull(result.Table);
        Assert.NotEmpty(result.Table.Rules);
    }

    [Theory]
    [InlineData("site-migration.conf")]
    [InlineData("front-door.conf")]
    [InlineData("dns-udp.conf")]
    public void ProductionSamplesUseOnlyDocumentationAddresses(string name)
    {
        var table = CompiledTable(name);

        var addresses = table.Listeners.Select(l => l.Endpoint.Address)
            .Concat(table.Rules.Select(r => r.Target?.Address).OfType<IPAddress>())
            .Concat(table.Rules.Select(r => r.From.Address).OfType<NetworkPattern>().Where(n => n.PrefixLength > 0).Select(n => n.Network))
            .Concat(table.Settings.Externals)
            .ToArray();

        Assert.NotEmpty(addresses);
        Assert.All(addresses, a => Assert.Contains(DocumentationNetworks, n => n.Contains(a)));
    }

    [Fact]
    public async Task QuickstartRunsUnprivilegedOnLoopbackAndForwardsToTheNextPort()
    {
        var table = CompiledTable("quickstart.conf");

        Assert.All(table.Listeners, l =>
        {
            Assert.True(IPAddress.IsLoopback(l.Endpoint.Address), $"{l} is not on loopback");
            Assert.True(l.Endpoint.Port >= 1024, $"{l} needs privileges");
        });
        Assert.Equal([LogDestinationKind.Stderr], table.Settings.LogOutput.Select(d => d.Kind));

        var rule = await Match(table, TransportProtocol.Tcp, "127.0.0.1", 40000, "127.0.0.1", 8080);
        Assert.Equal(Verdict.Pass, rule.Verdict);
        Assert.Equal(new BounceTarget(IPAddress.Loopback, null, 8081), rule.Target);
    }

    [Theory]
    [InlineData("192.0.2.20", 80, "198.51.100.10", 80)]
    [InlineData("192.0.2.20", 443, "198.51.100.10", 443)]
    [InlineData("192.0.2.20", 25, "198.51.100.10", 25)]
    [InlineData("2001:db8:20::20", 443, "2001:db8:10::10", 443)]
    public async Task MigrationSendsTheNewAddressToTheOldHost(string local, int port, string target, int targetPort)
    {
        var table = CompiledTable("site-migration.conf");
        var client = local.Contains(':', StringComparison.Ordinal) ? "2001:db8:ffff::7" : "203.0.113.7";

        var rule = await Match(table, TransportProtocol.Tcp, client, 51234, local, port);

        Assert.Equal(Verdict.Pass, rule.Verdict);
        Assert.Equal(IPAddress.Parse(target), rule.Target?.Address);
        Assert.Equal(targetPort, rule.Target?.Port);
    }

    [Theory]
    [InlineData(TransportProtocol.Udp, "203.0.113.7", 40000, "192.0.2.53", Verdict.Pass)]
    [InlineData(TransportProtocol.Udp, "2001:db8:1::7", 40000, "2001:db8::53", Verdict.Pass)]
    [InlineData(TransportProtocol.Udp, "203.0.113.7", 123, "192.0.2.53", Verdict.Block)]
    [InlineData(TransportProtocol.Udp, "2001:db8:1::7", 53, "2001:db8::53", Verdict.Block)]
    [InlineData(TransportProtocol.Udp, "198.51.100.7", 40000, "192.0.2.53", Verdict.Block)]
    [InlineData(TransportProtocol.Tcp, "203.0.113.7", 40000, "192.0.2.53", Verdict.Block)]
    public async Task DnsResolverServesOnlyItsNetworks(TransportProtocol protocol, string client, int port, string local, Verdict verdict)
    {
        var rule = await Match(CompiledTable("dns-udp.conf"), protocol, client, port, local, 53);

        Assert.Equal(verdict, rule.Verdict);
    }

    [Fact]
    public async Task FrontDoorAppliesItsAccessRules()
    {
        var table = CompiledTable("front-door.conf");
        var partner = new MatchFakeNameResolver().WithReverse("198.51.100.99", "mx1.partner.example");

        var abuser = await Match(table, TransportProtocol.Tcp, "203.0.113.66", 40000, "192.0.2.1", 80);
        var visitor = await Match(table, TransportProtocol.Tcp, "198.51.100.7", 40000, "192.0.2.1", 80);
        var partnerMail = await Match(table, TransportProtocol.Tcp, "198.51.100.99", 40000, "192.0.2.1", 25, partner);
        var otherMail = await Match(table, TransportProtocol.Tcp, "198.51.100.7", 40000, "192.0.2.1", 25);
        var query = await Match(table, TransportProtocol.Udp, "198.51.100.7", 40000, "192.0.2.1", 53);
        var transfer = await Match(table, TransportProtocol.Tcp, "203.0.113.53", 40000, "192.0.2.1", 53);
        var otherTransfer = await Match(table, TransportProtocol.Tcp, "198.51.100.7", 40000, "192.0.2.1", 53);

        Assert.Equal(Verdict.Block, abuser.Verdict);
        Assert.NotEqual(0, abuser.Number);
        Assert.Equal(Verdict.Pass, visitor.Verdict);
        Assert.Equal(Verdict.Pass, partnerMail.Verdict);
        Assert.True(partnerMail.Limits.IsUnlimited);
        Assert.NotSame(partnerMail, otherMail);
        Assert.Equal(Verdict.Pass, otherMail.Verdict);
        Assert.False(otherMail.Limits.IsUnlimited);
        Assert.NotNull(otherMail.BandwidthBytesPerSecond);
        Assert.Equal(Verdict.Pass, query.Verdict);
        Assert.Equal(IPAddress.Parse("198.51.100.53"), query.Target?.Address);
        Assert.Equal(Verdict.Pass, transfer.Verdict);
        Assert.Equal(Verdict.Block, otherTransfer.Verdict);
        Assert.NotEqual(0, otherTransfer.Number);
    }

    private static CompileResult Compile(string name) =>
        RuleFile.Load(Path.Combine(SamplesDirectory, name), new NoNetworkEnvironment());

    private static RuleTable CompiledTable(string name)
    {
        var result = Compile(name);
        Assert.False(result.HasErrors, string.Join(System.Environment.NewLine, result.Diagnostics));
        return result.Table!;
    }

    private static async Task<Rule> Match(
        RuleTable table, TransportProtocol protocol, string client, int clientPort, string local, int localPort, INameResolver? resolver = null) =>
        await new RuleMatcher(resolver ?? new MatchFakeNameResolver())
            .MatchAsync(table, protocol, Endpoint(client, clientPort), Endpoint(local, localPort));

    /// <summary>A host without interfaces or DNS, so the samples compile the same everywhere.</summary>
    private sealed class NoNetworkEnvironment : INetworkEnvironment
    {
        public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => null;

        public IReadOnlyList<IPAddress> ResolveHost(string hostname) => [];
    }
}
