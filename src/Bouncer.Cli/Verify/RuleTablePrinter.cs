using System.Globalization;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Verify;

/// <summary>
/// Prints a compiled <see cref="RuleTable"/> in a normalized, readable form (what <c>bouncer -V</c>
/// shows): every setting with its default applied, every rule with every option spelled out, then the
/// listeners and the rules each one serves. Keywords follow the rule language so the output reads
/// like a rule file with nothing left implicit.
/// </summary>
public sealed class RuleTablePrinter
{
    private const string None = "none";
    private readonly TextWriter _writer;

    public RuleTablePrinter(TextWriter writer)
    {
        _writer = writer;
    }

    public void Print(RuleTable table)
    {
        _writer.WriteLine($"# {table.Source}: {Count(table.Rules.Length, "rule")}, {Count(table.Listeners.Length, "listener")}");
        PrintSettings(table.Settings);
        foreach (var rule in table.Rules)
        {
            _writer.WriteLine();
            PrintRule(rule);
        }

        _writer.WriteLine();
        _writer.WriteLine("listeners:");
        foreach (var listener in table.Listeners)
        {
            var numbers = string.Join(", ", listener.Rules.Select(r => r.Number.ToString(CultureInfo.InvariantCulture)));
            _writer.WriteLine($"  {listener.Protocol.ToKeyword()} {listener.Endpoint} -> rule{(listener.Rules.Length == 1 ? string.Empty : "s")} {numbers}");
        }
    }

    /// <summary>Seconds as the rule language writes them; zero is "none" where zero disables the timeout.</summary>
    public static string Seconds(TimeSpan value, bool zeroMeansNone = false)
    {
        var text = value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return zeroMeansNone && value == TimeSpan.Zero ? $"{text} ({None})" : text;
    }

    public static string LogEventsText(LogEvents events)
    {
        if (events == LogEvents.None)
        {
            return None;
        }

        (LogEvents Flag, string Keyword)[] names =
        [
            (LogEvents.Connect, "connect"), (LogEvents.Disconnect, "disconnect"), (LogEvents.Error, "error"),
            (LogEvents.Data, "data"), (LogEvents.IoOperation, "iooperation"), (LogEvents.TcpInfo, "tcpinfo"),
        ];
        return string.Join(' ', names.Where(n => events.HasFlag(n.Flag)).Select(n => n.Keyword));
    }

    public static string ProtocolsText(Protocols protocols) => protocols switch
    {
        Protocols.Tcp => "tcp",
        Protocols.Udp => "udp",
        Protocols.Both => "tcp udp",
        _ => None,
    };

    private static string Count(int count, string noun) =>
        $"{count} {noun}{(count == 1 ? string.Empty : "s")}";

    private static string FamiliesText(AddressFamilies families) => families switch
    {
        AddressFamilies.IPv4 => "ipv4",
        AddressFamilies.IPv6 => "ipv6",
        AddressFamilies.Both => "ipv4 ipv6",
        _ => None,
    };

    private static string RotationText(ExternalRotation rotation) => rotation switch
    {
        ExternalRotation.Route => "route",
        ExternalRotation.SameSame => "same-same",
        _ => None,
    };

    private static string SourceHostText(SourceHostChecks checks)
    {
        var words = new List<string>();
        if (checks.HasFlag(SourceHostChecks.NoDnsUnknown))
        {
            words.Add("nodnsunknown");
        }

        if (checks.HasFlag(SourceHostChecks.NoDnsMismatch))
        {
            words.Add("nodnsmismatch");
        }

        return words.Count == 0 ? None : string.Join(' ', words);
    }

    private static string ListOrNone<T>(IEnumerable<T> items, string separator = " ")
    {
        var text = string.Join(separator, items);
        return text.Length == 0 ? None : text;
    }

    private static string OrNone(object? value) => value?.ToString() ?? None;

    private static string ThrottleText(Throttle? throttle) => throttle?.ToString() ?? None;

    private void Line(string key, string value) => _writer.WriteLine($"  {key}: {value}");

    private void PrintSettings(Settings settings)
    {
        _writer.WriteLine("settings:");
        Line("external", settings.Externals.IsEmpty ? $"{None} (the OS chooses the source address)" : ListOrNone(settings.Externals));
        Line("external.rotation", RotationText(settings.Rotation));
        Line("external.protocol", FamiliesText(settings.ExternalFamilies));
        Line("internal.protocol", FamiliesText(settings.InternalFamilies));
        Line("logoutput", ListOrNone(settings.LogOutput));
        Line("errorlog", ListOrNone(settings.ErrorLog));
        Line("debug", settings.Debug.ToString(CultureInfo.InvariantCulture));
        PrintTimeouts(settings.Timeouts);
        Line("udp.connectdst", settings.UdpConnectDestination ? "yes" : "no");
        Line("srchost", SourceHostText(settings.SourceHostChecks));
        Line("compatibility", settings.SamePort ? "sameport" : None);
        Line("socket options", ListOrNone(settings.SocketOptions, ", "));
        Line("user.privileged", OrNone(settings.Users.Privileged));
        Line("user.unprivileged", OrNone(settings.Users.Unprivileged));
    }

    private void PrintTimeouts(Timeouts timeouts)
    {
        Line("timeout.connect", Seconds(timeouts.Connect));
        Line("timeout.io.tcp", Seconds(timeouts.IoTcp, zeroMeansNone: true));
        Line("timeout.io.udp", Seconds(timeouts.IoUdp, zeroMeansNone: true));
        Line("timeout.tcp_fin_wait", Seconds(timeouts.TcpFinWait, zeroMeansNone: true));
    }

    private void PrintRule(Rule rule)
    {
        var verdict = rule.Verdict == Verdict.Pass ? "pass" : "block";
        var position = rule.Position.File is null ? string.Empty : $" ({rule.Position})";
        _writer.WriteLine($"rule {rule.Number}: client {verdict}{position}");
        Line("from", rule.From.ToString());
        Line("to", rule.To.Text);
        Line("listen", ListOrNone(rule.To.Endpoints, ", "));
        Line("bounce to", OrNone(rule.Target));
        Line("protocol", ProtocolsText(rule.Protocols));
        Line("log", LogEventsText(rule.Log));
        PrintTimeouts(rule.Timeouts);
        Line("session.max", OrNone(rule.Limits.Max));
        Line("session.throttle", ThrottleText(rule.Limits.Throttle));
        var perClient = rule.Limits.StateMax is not null || rule.Limits.StateThrottle is not null;
        Line("session.state.key", perClient ? "from" : None);
        Line("session.state.max", OrNone(rule.Limits.StateMax));
        Line("session.state.throttle", ThrottleText(rule.Limits.StateThrottle));
        Line("bandwidth", rule.BandwidthBytesPerSecond is { } bandwidth
            ? $"{bandwidth.ToString(CultureInfo.InvariantCulture)} bytes/s"
            : None);
        Line("redirect from", OrNone(rule.RedirectFrom));
        Line("socket options", ListOrNone(rule.SocketOptions, ", "));
    }
}
