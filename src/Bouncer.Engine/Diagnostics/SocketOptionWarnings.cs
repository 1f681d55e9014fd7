using Bouncer.Rules.Model;

namespace Bouncer.Engine.Diagnostics;

/// <summary>
/// The warning for a socket option the system refused, worded and rate-limited the same way for
/// every socket that takes options: a session stays usable without the option, so it is a warning
/// once per rule (or listener) and option, not an error per session.
/// </summary>
internal static class SocketOptionWarnings
{
    /// <summary>Warns when <paramref name="failedOption"/> is set; <paramref name="side"/> says which of the rule's sockets ("client side", "outgoing side").</summary>
    public static void ReportForRule(RateLimitedLog warnings, Rule rule, string? failedOption, string side)
    {
        if (failedOption is not null)
        {
            warnings.Warning($"sockopt:{rule.Label}:{failedOption}", $"{rule.Label}: the system refused socket option {failedOption} on the {side}");
        }
    }

    /// <summary>Warns when <paramref name="failedOption"/> is set on the listening socket of <paramref name="key"/>.</summary>
    public static void ReportForListener(RateLimitedLog warnings, ListenerKey key, string? failedOption)
    {
        if (failedOption is not null)
        {
            var protocol = key.Protocol == TransportProtocol.Udp ? "udp" : "tcp";
            warnings.Warning($"sockopt:{key}:{failedOption}", $"{protocol} {key.Endpoint}: the system refused socket option {failedOption} on the listener");
        }
    }
}
