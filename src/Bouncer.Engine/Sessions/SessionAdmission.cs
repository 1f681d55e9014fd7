using System.Net;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Outgoing;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Decides whether a new TCP connection or UDP client is let through, and where to (design §2.6,
/// §3), the same way for both protocols: first-match decision, block, <c>srchost</c> checks,
/// session limits, then the target and the source address of the outgoing side. Each step is its
/// own call, because each protocol does its own work in between (a UDP flow must be reportable
/// as soon as it has a rule; a TCP session sets up its client socket before the target lookup).
/// Nothing is reported here except the rate-limited limit warning: the caller ends the session.
/// </summary>
internal sealed class SessionAdmission
{
    private readonly Func<ListenerSnapshot> _currentListeners;
    private readonly RuleMatcher _matcher;
    private readonly SourceHostCheck _sourceHosts;
    private readonly LimitRegistry _limits;
    private readonly RateLimitedLog _warnings;
    private readonly TargetResolver _targets;
    private readonly TimeProvider _time;

    /// <param name="time">The clock of the session limits' throttles, and of the sessions' start.</param>
    public SessionAdmission(
        Func<ListenerSnapshot> currentListeners,
        RuleMatcher matcher,
        SourceHostCheck sourceHosts,
        LimitRegistry limits,
        RateLimitedLog warnings,
        TargetResolver targets,
        TimeProvider time)
    {
        _time = time;
        _currentListeners = currentListeners;
        _matcher = matcher;
        _sourceHosts = sourceHosts;
        _limits = limits;
        _warnings = warnings;
        _targets = targets;
    }

    /// <summary>
    /// The rule the client falls under, among the rules of <paramref name="listener"/> in the table
    /// in force, and that table's settings. Only cancellation of <paramref name="cancellationToken"/> escapes.
    /// </summary>
    /// <param name="client">The client's address and port, IPv4-mapped addresses already unmapped.</param>
    /// <param name="local">The address and port the client reached: the session's local side.</param>
    /// <param name="matchLocal">The local endpoint the rules' <c>to:</c> is matched against.</param>
    public async ValueTask<SessionDecision> DecideAsync(
        ListenerKey listener, IPEndPoint client, IPEndPoint local, IPEndPoint matchLocal, CancellationToken cancellationToken)
    {
        var snapshot = _currentListeners();
        var settings = snapshot.Table?.Settings ?? Settings.Defaults;
        var rule = await _matcher.MatchAsync(snapshot.RulesOf(listener), listener.Protocol, client, matchLocal, cancellationToken)
            .ConfigureAwait(false);
        return new SessionDecision(new SessionIdentity(rule, listener.Protocol, client, local, _time), settings);
    }

    /// <summary>
    /// Whether a decided session may open: not blocked, through the <c>srchost</c> checks, and
    /// within its rule's limits, in which case it holds a place under them until it disposes the lease.
    /// </summary>
    public async ValueTask<AdmissionOutcome> CheckAsync(SessionDecision decision, CancellationToken cancellationToken)
    {
        var rule = decision.Rule;
        if (rule.Verdict == Verdict.Block)
        {
            return AdmissionOutcome.Refused(EndReason.Blocked, null);
        }

        var client = decision.Identity.Client.Address;
        var sourceHostProblem = await _sourceHosts.RefusalAsync(decision.Settings.SourceHostChecks, client, cancellationToken)
            .ConfigureAwait(false);
        if (sourceHostProblem is not null)
        {
            return AdmissionOutcome.Refused(EndReason.Blocked, sourceHostProblem);
        }

        var limiter = _limits.LimiterFor(rule);
        var refusal = limiter?.TryAcquire(client, _time.GetMilliseconds()) ?? LimitRefusal.None;
        if (refusal != LimitRefusal.None)
        {
            _warnings.Warning(
                $"limit:{rule.Label}:{refusal}",
                $"{rule.Label}: {refusal.Describe()} reached, refusing {decision.Identity.Protocol.ToKeyword()} client {client}");
            return AdmissionOutcome.Refused(EndReason.SessionLimitReached, refusal.Describe());
        }

        return AdmissionOutcome.Admitted(new SessionLease(limiter, client));
    }

    /// <summary>
    /// The target of an admitted session (its rule's <c>bounce to:</c>, a hostname looked up now)
    /// and the local address its outgoing side leaves from (<see cref="SourceAddressSelector"/>).
    /// </summary>
    public async ValueTask<TargetChoice> ChooseTargetAsync(SessionDecision decision, CancellationToken cancellationToken)
    {
        var rule = decision.Rule;
        if (rule.Target is null)
        {
            return TargetChoice.NotFound("No bounce target");
        }

        var local = decision.Identity.Local;
        var target = await _targets.ResolveAsync(rule.Target, local, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            return TargetChoice.NotFound($"Host not found: {rule.Target.Hostname}");
        }

        var source = SourceAddressSelector.Select(rule, decision.Settings, local.Address, target.AddressFamily);
        return new TargetChoice(target, source, null);
    }
}
