using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests;

/// <summary>
/// Renders a compiled table as one fact per line (<c>rule 1 from = 10.0.0.0/8 port >= 1024</c>) so
/// corpus files can state what they must compile to with <c># expect:</c> lines.
/// </summary>
internal static class TableFacts
{
    public static IReadOnlyList<string> Of(RuleTable table)
    {
        var s = table.Settings;
        var facts = new List<string>
        {
            $"settings.externals = {Join(s.Externals)}",
            $"settings.rotation = {s.Rotation.ToString().ToLowerInvariant()}",
            $"settings.external.protocol = {Families(s.ExternalFamilies)}",
            $"settings.internal.protocol = {Families(s.InternalFamilies)}",
            $"settings.logoutput = {Join(s.LogOutput)}",
            $"settings.errorlog = {Join(s.ErrorLog)}",
            $"settings.debug = {s.Debug}",
            $"settings.timeouts = {Timeouts(s.Timeouts)}",
            $"settings.udp.connectdst = {(s.UdpConnectDestination ? "yes" : "no")}",
            $"settings.srchost = {s.SourceHostChecks}",
            $"settings.sameport = {(s.SamePort ? "yes" : "no")}",
            $"settings.socket = {Join(s.SocketOptions)}",
            $"settings.user.privileged = {s.Users.Privileged ?? "-"}",
            $"settings.user.unprivileged = {s.Users.Unprivileged ?? "-"}",
            $"rules = {table.Rules.Length}",
            $"listeners = {Join(table.Listeners.Select(l => $"{l}({string.Join(',', l.Rules.Select(r => r.Number))})"))}",
        };
        foreach (var rule in table.Rules)
        {
            var n = $"rule {rule.Number}";
            facts.Add($"{n} = {rule.Verdict.ToString().ToLowerInvariant()} at line {rule.Position.Line}");
            facts.Add($"{n} protocols = {rule.Protocols}");
            facts.Add($"{n} from = {rule.From}");
            facts.Add($"{n} from.kind = {rule.From.Address.GetType().Name}");
            facts.Add($"{n} to = {Join(rule.To.Endpoints)}");
            facts.Add($"{n} target = {(rule.Target is null ? "-" : rule.Target.ToString())}");
            facts.Add($"{n} log = {rule.Log}");
            facts.Add($"{n} timeouts = {Timeouts(rule.Timeouts)}");
            facts.Add($"{n} limits = max {Show(rule.Limits.Max)} throttle {Show(rule.Limits.Throttle)} state.max {Show(rule.Limits.StateMax)} state.throttle {Show(rule.Limits.StateThrottle)}");
            facts.Add($"{n} bandwidth = {Show(rule.BandwidthBytesPerSecond)}");
            facts.Add($"{n} redirect.from = {Show(rule.RedirectFrom)}");
            facts.Add($"{n} socket = {Join(rule.SocketOptions)}");
        }

        return facts;
    }

    private static string Timeouts(Timeouts t) =>
        $"connect {t.Connect.TotalSeconds} io.tcp {t.IoTcp.TotalSeconds} io.udp {t.IoUdp.TotalSeconds} fin_wait {t.TcpFinWait.TotalSeconds}";

    private static string Families(AddressFamilies f) => f switch
    {
        AddressFamilies.IPv4 => "ipv4",
        AddressFamilies.IPv6 => "ipv6",
        _ => "ipv4 ipv6",
    };

    private static string Show(object? value) => value?.ToString() ?? "-";

    private static string Join<T>(IEnumerable<T> items)
    {
        var text = string.Join(" ", items.Select(i => i is IPAddress a ? a.ToString() : i!.ToString()));
        return text.Length == 0 ? "-" : text;
    }
}
