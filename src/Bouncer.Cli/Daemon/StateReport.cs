using System.Globalization;
using System.Net;
using Bouncer.Engine.State;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The lines SIGUSR1 writes to the log: one headline (uptime, totals), one line per rule that
/// has done anything (a 10,000-rule table would otherwise bury the sessions), and one line per
/// open TCP session and UDP flow. Endpoints are written <c>address.port</c>, as the session lines are.
/// </summary>
public static class StateReport
{
    public static IEnumerable<string> Lines(EngineState state, TimeSpan uptime, string ruleFile)
    {
        ArgumentNullException.ThrowIfNull(state);
        var rules = state.Table?.Rules.Length ?? 0;
        yield return $"state: uptime {Seconds(uptime)}, {Counted.Of(rules, "rule")}, {Counted.Of(state.Listeners, "listener")}, " +
            $"{Counted.Of(state.Sessions.Length, "live session")}, rule file {ruleFile}";

        var quiet = 0;
        foreach (var activity in state.Rules)
        {
            if (activity.Sessions == 0 && activity.Refused == 0 && activity.Failed == 0)
            {
                quiet++;
                continue;
            }

            yield return Invariant($"state: {Label(activity.Rule)}: sessions {activity.Sessions} ({activity.Live} live), ") +
                Invariant($"refused {activity.Refused}, failed {activity.Failed}, bytes {activity.BytesFromClients} from clients, ") +
                Invariant($"{activity.BytesFromTargets} from targets (ended sessions)");
        }

        if (quiet > 0)
        {
            yield return $"state: {Counted.Of(quiet, "more rule")} without sessions or refusals";
        }

        foreach (var session in state.Sessions)
        {
            var counters = session.Counters;
            var packets = session.Protocol == TransportProtocol.Udp
                ? Invariant($" ({counters.PacketsFromClient}/{counters.PacketsFromTarget} packets)")
                : string.Empty;
            yield return $"state: session {session.Rule.Label} {session.Protocol.ToKeyword()}: client {Endpoint(session.Client)} " +
                $"local {Endpoint(session.Local)} outgoing {Endpoint(session.Outgoing)} target {Endpoint(session.Target)}, " +
                $"age {Seconds(session.Age)}, idle {Seconds(session.Idle)}, " +
                Invariant($"bytes {counters.BytesFromClient} from client, {counters.BytesFromTarget} from target{packets}");
        }
    }

    private static string Label(Rule rule) =>
        rule.Position.File is null ? rule.Label : $"{rule.Label} at {rule.Position.File}:{rule.Position.Line}";

    private static string Endpoint(IPEndPoint? endpoint) =>
        endpoint is null ? "-" : Invariant($"{endpoint.Address}.{endpoint.Port}");

    private static string Seconds(TimeSpan span) => Invariant($"{(long)span.TotalSeconds}s");


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
