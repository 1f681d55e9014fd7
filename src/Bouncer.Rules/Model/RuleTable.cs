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
        var byKey = new Dictionary<ListenerKey, ImmutableArray<Rule>.Builder>();
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
                    if (!byKey.TryGetValue(key, out var list))
                    {
                        list = ImmutableArray.CreateBuilder<Rule>();
                        byKey.Add(key, list);
                        order.Add(key);
                    }

                    if (list.Count == 0 || !ReferenceEquals(list[^1], rule))
                    {
                        list.Add(rule);
                    }
                }
            }
        }

        return order.Select(k => new Listener(k.Protocol, k.Endpoint, byKey[k].ToImmutable())).ToImmutableArray();
    }
}
