using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>The <c>timeout.*</c> keywords, the same as settings and as rule options.</summary>
internal static class TimeoutOptions
{
    private static readonly Dictionary<string, string> s_oldNames = new(StringComparer.Ordinal)
    {
        ["connecttimeout"] = "timeout.connect",
        ["iotimeout"] = "timeout.io",
    };

    public static bool IsTimeout(string keyword) =>
        keyword.StartsWith("timeout.", StringComparison.Ordinal) || s_oldNames.ContainsKey(keyword);

    /// <summary>
    /// <paramref name="timeouts"/> with <paramref name="option"/> applied; unchanged after an error.
    /// Call only when <see cref="IsTimeout"/> holds.
    /// </summary>
    public static Timeouts Apply(OptionSyntax option, ValueReader values, Timeouts timeouts)
    {
        var keyword = option.Keyword;
        if (s_oldNames.TryGetValue(keyword, out var newName))
        {
            values.Warning(option.Position, $"'{keyword}' is an old name; write {newName}:");
            keyword = newName;
        }

        switch (keyword)
        {
            case "timeout.connect":
                return values.Seconds(option, 1) is { } connect ? timeouts with { Connect = connect } : timeouts;
            case "timeout.io.tcp":
                return values.Seconds(option, 0) is { } tcp ? timeouts with { IoTcp = tcp } : timeouts;
            case "timeout.io.udp":
                return values.Seconds(option, 1) is { } udp ? timeouts with { IoUdp = udp } : timeouts;
            case "timeout.tcp_fin_wait":
                return values.Seconds(option, 0) is { } finWait ? timeouts with { TcpFinWait = finWait } : timeouts;
            case "timeout.io":
                return ApplyIo(option, values, timeouts);
            case "timeout.negotiate":
                if (values.Seconds(option, 0) is not null)
                {
                    values.Warning(option.Position, "timeout.negotiate: has no effect (a port bouncer negotiates nothing); accepted for compatibility");
                }

                return timeouts;
            default:
                values.Error(option.Position, $"unknown timeout '{option.Keyword}' (expected timeout.connect, timeout.io, timeout.io.tcp, timeout.io.udp, timeout.tcp_fin_wait)");
                return timeouts;
        }
    }

    /// <summary><c>timeout.io</c> sets TCP and UDP; 0 means "none", which a UDP flow cannot have.</summary>
    private static Timeouts ApplyIo(OptionSyntax option, ValueReader values, Timeouts timeouts)
    {
        if (values.Seconds(option, 0) is not { } io)
        {
            return timeouts;
        }

        if (io == TimeSpan.Zero)
        {
            values.Warning(option.Position, $"timeout.io: 0 leaves timeout.io.udp at {(long)timeouts.IoUdp.TotalSeconds} s (a UDP flow ends only by its idle timeout)");
            return timeouts with { IoTcp = io };
        }

        return timeouts with { IoTcp = io, IoUdp = io };
    }
}
