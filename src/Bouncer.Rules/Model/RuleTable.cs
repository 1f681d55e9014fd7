using System.Collections.Immutable;

namespace Bouncer.Rules.Model;

/// <summary>
/// A compiled rule file: settings, numbered rules, and listeners grouped by protocol and
/// endpoint. Never mutated; a reload builds a new table and the engine swaps whole tables.
/// </summary>
public sealed class RuleTable
{
    public RuleTable(string source, Settings settings, ImmutableArray<Rule> rules)
    {
        Source = source;
        Settings = settings;
        Rules = rules;
        Listeners = BuildListeners(rules);
        ListenersByKey = Listeners.ToImmutableDictionary(l => l.Key);
    }

    /// <summary>The file the table was compiled from.</summary>
    public string Source { get; }

    public Settings Settings { get; }

    public ImmutableArray<Rule> Rules { get; }

    /// <summary>Distinct (protocol, endpoint) pairs, in order of first appearance.</summary>
    public ImmutableArray<Listener> Listeners { get; }

    public ImmutableDictionary<ListenerKey, Listener> ListenersByKey { get; }

    private static ImmutableArray<Listener> BuildListeners(ImmutableArray<Rule> rules)
    {
        var order = new List<ListenerKey>();
        var seen = new HashSet<ListenerKey>();
        foreach (var rule in rules)
        {
            foreach (var protocol in new[] { TransportProtocol.Tcp, TransportProtocol.Udp })
            {
                if (!rule.Protocols.Includes(protocol))
                {
                    continue;
                }

                foreach (var endpoint in rule.To.Endpoints)
                {
                    var key = new ListenerKey(protocol, endpoint);
                    if (seen.Add(key))
                    {
                        order.Add(key);
                    }
                }
            }
        }

        return order.Select(k => new Listener(k.Protocol, k.Endpoint, RulesReaching(k, rules))).ToImmutableArray();
    }

    /// <summary>
    /// The rules a client arriving on <paramref name="key"/> is matched against, in file order. The
    /// kernel hands a connection to the most specific socket, so a specific listener must also
    /// carry the rules of a wildcard listener of the same protocol, family and port: otherwise a
    /// wildcard rule written before a specific one would be skipped for clients of that address.
    /// </summary>
    private static ImmutableArray<Rule> RulesReaching(ListenerKey key, ImmutableArray<Rule> rules)
    {
        var local = key.Endpoint;
        return rules
            .Where(rule => rule.Protocols.Includes(key.Protocol) && rule.To.Endpoints.Any(e =>
                e.Equals(local) ||
                (e.IsWildcard && e.Port == local.Port && e.Address.AddressFamily == local.Address.AddressFamily)))
            .ToImmutableArray();
    }
}
