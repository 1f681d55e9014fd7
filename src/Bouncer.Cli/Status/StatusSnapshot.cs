using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Status;

/// <summary>
/// What one request shows, taken once per request: the engine's state, and per rule the bytes of
/// its ended and live sessions together (the engine's rule counters hold ended sessions only, so
/// a long download would otherwise show only when it ends).
/// </summary>
internal sealed record StatusSnapshot(EngineState State, IReadOnlyDictionary<Rule, RuleBytes> Bytes)
{
    public static StatusSnapshot Of(EngineState state)
    {
        // CaptureState reads the rule counters before the live sessions: a session that ends in
        // between is missed by this snapshot (in neither), never counted twice, and the exported
        // counters never go down (IncTo), so the next scrape simply catches up.
        var bytes = new Dictionary<Rule, RuleBytes>(state.Rules.Length, ReferenceEqualityComparer.Instance);
        foreach (var activity in state.Rules)
        {
            bytes[activity.Rule] = new RuleBytes(activity.BytesFromClients, activity.BytesFromTargets);
        }

        foreach (var session in state.Sessions)
        {
            if (bytes.TryGetValue(session.Rule, out var sum))
            {
                bytes[session.Rule] = new RuleBytes(
                    sum.FromClients + session.Counters.BytesFromClient,
                    sum.ToClients + session.Counters.BytesFromTarget);
            }
        }

        return new StatusSnapshot(state, bytes);
    }
}

/// <summary>Bytes a rule's sessions read from clients and sent back to them (what they read from targets).</summary>
internal readonly record struct RuleBytes(long FromClients, long ToClients);
