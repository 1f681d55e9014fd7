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
        // Rules are indexed once by exact endpoint and by wildcard (protocol, family, port), so
        // building the listeners is linear, not quadratic as asking every rule about every listener would be.
        var order = new List<ListenerKey>();
        var exact = new Dictionary<ListenerKey, List<int>>();
        var wildcards = new Dictionary<(TransportProtocol, System.Net.Sockets.AddressFamily, int), List<int>>();
        for (var index = 0; index < rules.Length; index++)
        {
            var rule = rules[index];
            foreach (var protocol in s_protocols)
            {
                if (!rule.Protocols.Includes(protocol))
                {
                    continue;
                }

                foreach (var endpoint in rule.To.Endpoints)
                {
                    var key = new ListenerKey(protocol, endpoint);
                    if (!exact.TryGetValue(key, out var reaching))
                    {
                        exact[key] = reaching = [];
                        order.Add(key);
                    }

                    AddOnce(reaching, index);
                    if (endpoint.IsWildcard)
                    {
                        var wildcard = (protocol, endpoint.Address.AddressFamily, endpoint.Port);
                        if (!wildcards.TryGetValue(wildcard, out var viaWildcard))
                        {
                            wildcards[wildcard] = viaWildcard = [];
                        }

                        AddOnce(viaWildcard, index);
                    }
                }
            }
        }

        var listeners = ImmutableArray.CreateBuilder<Listener>(order.Count);
        foreach (var key in order)
        {
            var wildcard = (key.Protocol, key.Endpoint.Address.AddressFamily, key.Endpoint.Port);
            var viaWildcard = wildcards.GetValueOrDefault(wildcard);
            listeners.Add(new Listener(key.Protocol, key.Endpoint, RulesReaching(exact[key], viaWildcard, rules)));
        }

        return listeners.MoveToImmutable();
    }

    private static readonly TransportProtocol[] s_protocols = [TransportProtocol.Tcp, TransportProtocol.Udp];

    private static void AddOnce(List<int> indexes, int index)
    {
        if (indexes.Count == 0 || indexes[^1] != index)
        {
            indexes.Add(index);
        }
    }

    /// <summary>
    /// The rules a client arriving on a listener is matched against, in file order: those naming its
    /// endpoint and those naming the wildcard of the same protocol, family and port. The kernel hands a
    /// connection to the most specific socket, so a specific listener must also carry the rules of a
    /// wildcard listener: otherwise a wildcard rule written before a specific one would be skipped for
    /// clients of that address. Both index lists are ascending; this merges them.
    /// </summary>
    private static ImmutableArray<Rule> RulesReaching(List<int> exact, List<int>? viaWildcard, ImmutableArray<Rule> rules)
    {
        viaWildcard ??= [];
        var reaching = ImmutableArray.CreateBuilder<Rule>(exact.Count + viaWildcard.Count);
        int i = 0, j = 0;
        while (i < exact.Count || j < viaWildcard.Count)
        {
            var next = j >= viaWildcard.Count || (i < exact.Count && exact[i] <= viaWildcard[j]) ? exact[i] : viaWildcard[j];
            reaching.Add(rules[next]);
            while (i < exact.Count && exact[i] == next)
            {
                i++;
            }

            while (j < viaWildcard.Count && viaWildcard[j] == next)
            {
                j++;
            }
        }

        return reaching.ToImmutable();
    }
}
