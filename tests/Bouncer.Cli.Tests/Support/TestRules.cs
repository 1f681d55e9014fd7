using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Support;

/// <summary>Rules and tables built from the model records directly, as the compiler would produce them.</summary>
internal static class TestRules
{
    public static Rule Pass(
        int number,
        string listen = "192.0.2.10",
        int port = 80,
        Protocols protocols = Protocols.Tcp,
        LogEvents log = LogEvents.None,
        string from = "198.51.100.0",
        int fromBits = 24) =>
        new(
            number,
            Verdict.Pass,
            protocols,
            new ClientSelector(new NetworkPattern(IPAddress.Parse(from), fromBits), PortMatch.Any),
            new ListenSelector($"{listen} port = {port}", [new ListenEndpoint(IPAddress.Parse(listen), port)]),
            new BounceTarget(IPAddress.Parse("10.1.1.10"), null, 8080),
            log,
            Timeouts.Defaults,
            SessionLimits.None,
            null,
            null,
            ImmutableArray<SocketOption>.Empty,
            new SourcePosition("bouncer.conf", number * 5, 1));

    public static Rule Block(int number, LogEvents log = LogEvents.None) => Pass(number, log: log) with
    {
        Verdict = Verdict.Block,
        Target = null,
        From = new ClientSelector(AnyAddressPattern.Instance, PortMatch.Any),
    };

    public static RuleTable Table(params Rule[] rules) => new("bouncer.conf", Settings.Defaults, [.. rules]);
}
