using System.Runtime.CompilerServices;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Status;

/// <summary>
/// The labels of one rule's series: <c>rule</c> as the log writes it (<c>pass(1)</c>),
/// <c>protocol</c> (<c>tcp</c>, <c>udp</c>, or <c>tcp,udp</c> for a rule of both) and <c>listen</c>,
/// the rule's <c>to:</c> endpoints as the log writes addresses (<c>127.0.0.5.9000</c>), comma-separated.
/// The engine counts per rule, so a rule is one series whatever it listens on; the label set
/// therefore grows with the rule table only, never with clients.
/// </summary>
internal readonly record struct RuleLabels(string Rule, string Protocol, string Listen)
{
    /// <summary>Beyond this many endpoints the listen label names the first ones and how many more.</summary>
    private const int MaxListedEndpoints = 8;

    private static readonly ConditionalWeakTable<Rule, Box> s_cache = new();

    public string[] Values => [Rule, Protocol, Listen];

    /// <summary>The labels of <paramref name="rule"/>, built once per rule object (rules are immutable).</summary>
    public static RuleLabels Of(Rule rule) => s_cache.GetValue(rule, static r => new Box(Build(r))).Labels;

    public static string ProtocolText(Protocols protocols) => protocols switch
    {
        Protocols.Tcp => "tcp",
        Protocols.Udp => "udp",
        _ => "tcp,udp",
    };

    public static string EndpointText(ListenEndpoint endpoint) => $"{endpoint.Address}.{endpoint.Port}";

    private static RuleLabels Build(Rule rule)
    {
        var endpoints = rule.To.Endpoints;
        var listed = endpoints.Take(MaxListedEndpoints).Select(EndpointText);
        var listen = endpoints.Length > MaxListedEndpoints
            ? $"{string.Join(',', listed)},+{endpoints.Length - MaxListedEndpoints} more"
            : string.Join(',', listed);
        return new RuleLabels(rule.Label, ProtocolText(rule.Protocols), listen);
    }

    private sealed record Box(RuleLabels Labels);
}
