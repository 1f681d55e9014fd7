namespace Bouncer.Tests.Shared;

/// <summary>Where a keyword may be written.</summary>
[Flags]
internal enum Placement
{
    Setting = 1,
    Rule = 2,
    Both = Setting | Rule,
}

/// <summary>
/// One numeric value of the rule language with the range the check accepts. <see cref="Format"/>
/// turns a number into the value as written (a throttle's N or S within <c>N/S</c>);
/// <see cref="NeedsStateKey"/> marks the per-client limits, which need <c>session.state.key: from</c>.
/// </summary>
internal sealed record NumericKeyword(string Keyword, long Min, long Max, Placement Placement, string Part = "", bool NeedsStateKey = false)
{
    /// <summary>The value as written for <paramref name="value"/>.</summary>
    public string Format(long value) => Part switch
    {
        "N" => $"{value}/1",
        "S" => $"1/{value}",
        _ => value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Characters before the number within the value: its column is the value's plus this.</summary>
    public int NumberOffset => Part == "S" ? 2 : 0;

    public override string ToString() => Part.Length == 0 ? Keyword : $"{Keyword} {Part}";
}

/// <summary>Every numeric keyword of the rule language; the bounds tests of the check and of the engine both iterate it.</summary>
internal static class NumericKeywords
{
    public static readonly IReadOnlyList<NumericKeyword> All = Build();

    private static List<NumericKeyword> Build()
    {
        var all = new List<NumericKeyword>
        {
            new("timeout.connect", 1, int.MaxValue, Placement.Both),
            new("timeout.io", 0, int.MaxValue, Placement.Both),
            new("timeout.io.tcp", 0, int.MaxValue, Placement.Both),
            new("timeout.io.udp", 1, int.MaxValue, Placement.Both),
            new("timeout.tcp_fin_wait", 0, int.MaxValue, Placement.Both),
            new("timeout.negotiate", 0, int.MaxValue, Placement.Both),
            new("session.max", 1, int.MaxValue, Placement.Rule),
            new("session.throttle", 1, int.MaxValue, Placement.Rule, "N"),
            new("session.throttle", 1, int.MaxValue, Placement.Rule, "S"),
            new("session.state.max", 1, int.MaxValue, Placement.Rule, NeedsStateKey: true),
            new("session.state.throttle", 1, int.MaxValue, Placement.Rule, "N", NeedsStateKey: true),
            new("session.state.throttle", 1, int.MaxValue, Placement.Rule, "S", NeedsStateKey: true),
            new("bandwidth", 1, long.MaxValue / 2, Placement.Rule),
        };

        (string Name, long Min, long Max)[] socketOptions =
        [
            ("socket.so_rcvbuf", 1, int.MaxValue),
            ("socket.so_sndbuf", 1, int.MaxValue),
            ("socket.so_keepalive", 0, 1),
            ("tcp.tcp_nodelay", 0, 1),
            ("tcp.tcp_keepidle", 1, 32767),
            ("tcp.tcp_keepintvl", 1, 32767),
            ("tcp.tcp_keepcnt", 1, 127),
            ("ip.ip_tos", 0, 255),
            ("ip.ip_ttl", 1, 255),
            ("ip.ip_freebind", 0, 1),
        ];
        foreach (var side in new[] { "internal", "external" })
        {
            all.AddRange(socketOptions.Select(o => new NumericKeyword($"{side}.{o.Name}", o.Min, o.Max, Placement.Both)));
        }

        return all;
    }

    /// <summary>min, min+1, max-1 and max, each once: the values the check must accept.</summary>
    public static IEnumerable<long> Accepted(NumericKeyword keyword) =>
        new[] { keyword.Min, keyword.Min + 1, keyword.Max - 1, keyword.Max }.Where(v => v >= keyword.Min && v <= keyword.Max).Distinct();
}
