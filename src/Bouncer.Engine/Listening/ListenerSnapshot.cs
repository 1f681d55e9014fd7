using System.Collections.Immutable;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Listening;

/// <summary>
/// The table in force and the listeners serving it, swapped as one immutable value. An accept
/// loop looks its rules up here per new session, so a reload takes effect for the next client.
/// </summary>
internal sealed record ListenerSnapshot(RuleTable? Table, ImmutableDictionary<ListenerKey, IListenerService> Services)
{
    public static ListenerSnapshot Empty { get; } = new(null, ImmutableDictionary<ListenerKey, IListenerService>.Empty);

    /// <summary>The rules of listener <paramref name="key"/> in the current table; empty when it is gone.</summary>
    public ImmutableArray<Rule> RulesOf(ListenerKey key) =>
        Table is not null && Table.ListenersByKey.TryGetValue(key, out var listener) ? listener.Rules : ImmutableArray<Rule>.Empty;
}
