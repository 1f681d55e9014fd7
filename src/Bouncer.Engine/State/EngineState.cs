using System.Collections.Immutable;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.State;

/// <summary>
/// A snapshot of the running engine for SIGUSR1 and the systemd status: the table in force, what
/// each rule has done, and every open session. Taken without stopping anything, so counters of
/// sessions that open or end meanwhile may be off by those sessions.
/// </summary>
public sealed record EngineState(
    RuleTable? Table,
    int Listeners,
    ImmutableArray<RuleActivity> Rules,
    ImmutableArray<LiveSession> Sessions);
