using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>Builds rules and tables straight from the model records, so matching is tested without the parser.</summary>
internal sealed record MatchRuleBuilder
{
    private int Number { get; init; } = 1;

    private Verdict Verdict { get; init; } = Verdict.Pass;

    private Protocols Protocols { get; init; } = Protocols.Both;

    private AddressPattern From { get; init; } = AnyAddressPattern.Instance;

    private PortMatch FromPort { get; init; } = PortMatch.Any;

    private ImmutableArray<ListenEndpoint> To { get; init; } = [new ListenEndpoint(IPAddress.Parse("192.0.2.10"), 80)];

    public static MatchRuleBuilder Pass(int number) => new() { Number = number, Verdict = Verdict.Pass };

    public static MatchRuleBuilder Block(int number) => new() { Number = number, Verdict = Verdict.Block };

    public MatchRuleBuilder FromAddress(AddressPattern pattern) => this with { From = pattern };

    /// <summary><c>from: TEXT</c>: a network with /bits, <c>0/0</c>, <c>.domain</c> or a hostname.</summary>
    public MatchRuleBuilder FromAddress(string text) => FromAddress(Pattern(text));

    public MatchRuleBuilder FromPortMatching(PortMatch port) => this with { FromPort = port };

    public MatchRuleBuilder ToEndpoint(string address, int port) =>
        this with { To = [new ListenEndpoint(IPAddress.Parse(address), port)] };

    public MatchRuleBuilder ToEndpoints(params (string Address, int Port)[] endpoints) =>
        this with { To = [.. endpoints.Select(e => new ListenEndpoint(IPAddress.Parse(e.Address), e.Port))] };

    public MatchRuleBuilder OnlyFor(Protocols protocols) => this with { Protocols = protocols };

    public Rule Build() => new(
        Number,
        Verdict,
        Protocols,
        new ClientSelector(From, FromPort),
        new ListenSelector(string.Join(", ", To), To),
        Verdict == Verdict.Pass ? new BounceTarget(IPAddress.Parse("203.0.113.80"), null, To[0].Port) : null,
        LogEvents.None,
        Timeouts.Defaults,
        SessionLimits.None,
        null,
        null,
        ImmutableArray<SocketOption>.Empty,
        new SourcePosition("test.conf", Number, 1));

    public static RuleTable Table(params MatchRuleBuilder[] rules) =>
        new("test.conf", Settings.Defaults, [.. rules.Select(r => r.Build())]);

    public static AddressPattern Pattern(string text)
    {
        if (text == "0/0")
        {
            return AnyAddressPattern.Instance;
        }

        if (text.StartsWith('.'))
        {
            return new DomainPattern(text[1..]);
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0
            ? new HostnamePattern(text)
            : new NetworkPattern(IPAddress.Parse(text[..slash]), int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static IPEndPoint Endpoint(string address, int port) => new(IPAddress.Parse(address), port);
}
