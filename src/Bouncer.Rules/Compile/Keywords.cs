using System.Collections.Frozen;

namespace Bouncer.Rules.Compile;

/// <summary>
/// What the language knows by name, for the messages that place a keyword (a setting inside a rule,
/// a rule option at the top level, wrong case, a near miss).
/// </summary>
internal static class Keywords
{
    public static readonly FrozenSet<string> Settings = FrozenSet.ToFrozenSet(
    [
        "external", "external.rotation", "external.protocol", "internal.protocol", "logoutput", "errorlog",
        "debug", "timeout.connect", "timeout.io", "timeout.io.tcp", "timeout.io.udp", "timeout.tcp_fin_wait",
        "timeout.negotiate", "udp.connectdst", "clientmethod", "method", "srchost", "compatibility",
        "user.privileged", "user.unprivileged", "user.notprivileged", "resolveprotocol", "extension",
        "connecttimeout", "iotimeout", "internal", "socksmethod",
    ], StringComparer.Ordinal);

    public static readonly FrozenSet<string> RuleOptions = FrozenSet.ToFrozenSet(
    [
        "from", "to", "bounce to", "protocol", "log", "timeout.connect", "timeout.io", "timeout.io.tcp",
        "timeout.io.udp", "timeout.tcp_fin_wait", "timeout.negotiate", "connecttimeout", "iotimeout",
        "session.max", "session.throttle", "session.state.key", "session.state.max", "session.state.throttle",
        "session.inheritable", "bandwidth", "redirect from", "clientmethod", "method",
    ], StringComparer.Ordinal);

    /// <summary>Setting families matched by prefix (socket options are <c>internal.</c>/<c>external.</c>).</summary>
    private static readonly string[] s_settingPrefixes =
        ["cpu.", "child.", "route.", "libwrap.", "socket.sendbuf.", "socket.recvbuf.", "internal.", "external.", "user."];

    /// <summary>Rule options Barefoot or Dante have that Bouncer refuses, with why and what to use.</summary>
    public static readonly FrozenDictionary<string, string> RejectedRuleOptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["redirect to"] = "redirect to: is not supported: the target of a pass rule is its bounce to:",
        ["command"] = "command: is not supported: a port bouncer forwards, it does not bind or associate; remove it",
        ["udp.portrange"] = "udp.portrange: is not supported: outgoing UDP uses a port the system picks; use compatibility: sameport to keep the client's port",
        ["proxyprotocol"] = "proxyprotocol: is not supported: Bouncer neither reads nor writes PROXY protocol headers",
        ["maxsessions"] = "maxsessions: is not supported; use session.max: to limit the concurrent sessions of a rule",
        ["user"] = "user: is not supported: a port bouncer has no user authentication; restrict clients with from:",
        ["group"] = "group: is not supported: a port bouncer has no user authentication; restrict clients with from:",
        ["libwrap"] = "libwrap: is not supported (Bouncer cannot enforce it); restrict clients with from: or a firewall",
        ["hostid"] = "hostid: is not supported: Bouncer reads no host-id headers; restrict clients with from:",
        ["socksmethod"] = "socksmethod: is for SOCKS servers; a port bouncer negotiates nothing; remove it",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Objects = FrozenSet.ToFrozenSet(["client", "socks", "pass", "block", "route", "monitor"], StringComparer.Ordinal);

    public static bool IsSetting(string keyword) =>
        Settings.Contains(keyword) || s_settingPrefixes.Any(p => keyword.StartsWith(p, StringComparison.Ordinal));

    public static bool IsRuleOption(string keyword) =>
        RuleOptions.Contains(keyword) || RejectedRuleOptions.ContainsKey(keyword)
        || keyword.StartsWith("pam.", StringComparison.Ordinal) || SocketOptions.IsSocketOptionKeyword(keyword);

    /// <summary>"keywords are lower case" when the lower-case form is a keyword, else null.</summary>
    public static string? CaseMessage(string keyword)
    {
        var lower = keyword.ToLowerInvariant();
        if (lower == keyword || !(IsSetting(lower) || IsRuleOption(lower) || Objects.Contains(lower) || lower == "port"))
        {
            return null;
        }

        return $"keywords are lower case: write '{lower}', not '{keyword}'";
    }

    /// <summary>A known keyword within two edits of <paramref name="keyword"/>, for "did you mean".</summary>
    public static string? Suggest(string keyword, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(keyword, candidate, bestDistance);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    public static string DidYouMean(string keyword, IEnumerable<string> candidates) =>
        Suggest(keyword, candidates) is { } suggestion ? $" (did you mean '{suggestion}'?)" : string.Empty;

    /// <summary>Levenshtein distance, giving up at <paramref name="limit"/> (keywords are short).</summary>
    private static int EditDistance(string a, string b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) >= limit)
        {
            return limit;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
