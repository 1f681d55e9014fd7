using System.Net;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

/// <summary><see cref="RuleBuilder"/>'s rules, for protocol udp.</summary>
internal static class UdpRules
{
    public static Rule Pass(int number, IPEndPoint listen, IPEndPoint target) =>
        RuleBuilder.Pass(number, listen, target) with { Protocols = Protocols.Udp };

    public static Rule Block(int number, IPEndPoint listen) =>
        RuleBuilder.Block(number, listen) with { Protocols = Protocols.Udp };

    /// <summary><c>timeout.io.udp</c>.</summary>
    public static Rule WithIdle(this Rule rule, TimeSpan idle) =>
        rule with { Timeouts = rule.Timeouts with { IoUdp = idle } };

    /// <summary><c>from: ADDRESS/32</c>.</summary>
    public static Rule FromHost(this Rule rule, string address) =>
        rule with { From = RuleBuilder.From(address + "/32") };
}
