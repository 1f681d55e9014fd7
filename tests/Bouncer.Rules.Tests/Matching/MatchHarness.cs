using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>One place that turns "client A:P reached L:Q over tcp" into a matcher call.</summary>
internal static class MatchHarness
{
    public const string Local = "192.0.2.10";
    public const int LocalPort = 80;
    public const string Local6 = "2001:db8::10";

    /// <summary>A local address of the client's family (IPv4-mapped clients count as IPv4).</summary>
    public static string LocalFor(string client) =>
        System.Net.IPAddress.Parse(client) is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: false }
            ? Local6
            : Local;

    public static async Task<Rule> MatchAsync(
        RuleTable table,
        string client,
        int clientPort = 40000,
        string local = Local,
        int localPort = LocalPort,
        TransportProtocol protocol = TransportProtocol.Tcp,
        INameResolver? resolver = null)
    {
        var matcher = new RuleMatcher(resolver ?? new MatchFakeNameResolver());
        return await matcher.MatchAsync(
            table,
            protocol,
            MatchRuleBuilder.Endpoint(client, clientPort),
            MatchRuleBuilder.Endpoint(local, localPort),
            CancellationToken.None);
    }
}
