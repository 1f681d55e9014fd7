using Bouncer.Rules.Comparison;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.State;

/// <summary>
/// What one rule has done since it came into force (kept across reloads that leave the rule
/// unchanged, see <see cref="RuleContent"/>). Byte counts are of ended sessions only; the live
/// sessions' bytes are in <see cref="LiveSession"/>.
/// </summary>
/// <param name="Sessions">Sessions (TCP connections, UDP flows) that were forwarded.</param>
/// <param name="Live">Of those, how many are open now.</param>
/// <param name="Refused">Clients turned away: blocks, session limits, <c>srchost</c> checks.</param>
/// <param name="Failed">Passed clients whose target could not be reached.</param>
/// <param name="BytesFromClients">Bytes read from clients by ended sessions.</param>
/// <param name="BytesFromTargets">Bytes read from targets by ended sessions.</param>
public sealed record RuleActivity(
    Rule Rule,
    long Sessions,
    long Live,
    long Refused,
    long Failed,
    long BytesFromClients,
    long BytesFromTargets);
