using System.Collections.Frozen;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// <c>internal.&lt;level&gt;.&lt;option&gt;: value</c> and <c>external.…</c>: the supported subset of
/// socket options, with the values each accepts.
/// </summary>
internal static class SocketOptions
{
    private sealed record Spec(SocketOptionKind Kind, long Min, long Max, string Expected);

    private static readonly FrozenDictionary<string, Spec> s_supported = new Dictionary<string, Spec>(StringComparer.Ordinal)
    {
        ["socket.so_rcvbuf"] = new(SocketOptionKind.ReceiveBuffer, 1, int.MaxValue, "bytes, at least 1"),
        ["socket.so_sndbuf"] = new(SocketOptionKind.SendBuffer, 1, int.MaxValue, "bytes, at least 1"),
        ["socket.so_keepalive"] = new(SocketOptionKind.KeepAlive, 0, 1, "0 or 1"),
        ["tcp.tcp_nodelay"] = new(SocketOptionKind.NoDelay, 0, 1, "0 or 1"),
        // Linux refuses more than MAX_TCP_KEEPIDLE and MAX_TCP_KEEPINTVL (32767 s) with EINVAL.
        ["tcp.tcp_keepidle"] = new(SocketOptionKind.KeepAliveIdle, 1, 32767, "seconds, 1-32767"),
        ["tcp.tcp_keepintvl"] = new(SocketOptionKind.KeepAliveInterval, 1, 32767, "seconds, 1-32767"),
        ["tcp.tcp_keepcnt"] = new(SocketOptionKind.KeepAliveCount, 1, 127, "a count 1-127"),
        ["ip.ip_tos"] = new(SocketOptionKind.TypeOfService, 0, 255, "0-255"),
        ["ip.ip_ttl"] = new(SocketOptionKind.TimeToLive, 1, 255, "1-255"),
        ["ip.ip_freebind"] = new(SocketOptionKind.FreeBind, 0, 1, "0 or 1"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly string s_supportedList = string.Join(", ", s_supported.Keys.Order(StringComparer.Ordinal));

    /// <summary>True for <c>internal.*</c>/<c>external.*</c> keywords other than the settings that share the prefix.</summary>
    public static bool IsSocketOptionKeyword(string keyword) =>
        (keyword.StartsWith("internal.", StringComparison.Ordinal) || keyword.StartsWith("external.", StringComparison.Ordinal))
        && keyword is not ("internal.protocol" or "external.protocol" or "external.rotation");

    /// <summary>Reads a socket option; null after reporting an error.</summary>
    public static SocketOption? Read(OptionSyntax option, ValueReader values)
    {
        var dot = option.Keyword.IndexOf('.', StringComparison.Ordinal);
        var side = option.Keyword[..dot] == "internal" ? SocketSide.Internal : SocketSide.External;
        var name = option.Keyword[(dot + 1)..];
        if (!s_supported.TryGetValue(name, out var spec))
        {
            values.Error(option.Position, $"unsupported socket option '{option.Keyword}' (supported after internal. or external.: {s_supportedList})");
            return null;
        }

        return values.Number(option, spec.Min, spec.Max, spec.Expected) is { } value
            ? new SocketOption(side, spec.Kind, (int)value, option.Keyword)
            : null;
    }

    /// <summary>Options of the settings overridden by a rule's own (same side and kind), in a stable order.</summary>
    public static System.Collections.Immutable.ImmutableArray<SocketOption> Merge(
        System.Collections.Immutable.ImmutableArray<SocketOption> settings, List<SocketOption> rule)
    {
        // Most rules set none: the settings' array as it is, without sorting it again per rule.
        if (rule.Count == 0)
        {
            return settings;
        }

        var merged = new Dictionary<(SocketSide, SocketOptionKind), SocketOption>();
        foreach (var option in settings.Concat(rule))
        {
            merged[(option.Side, option.Kind)] = option;
        }

        return [.. merged.Values.OrderBy(o => o.Side).ThenBy(o => o.Kind)];
    }
}
