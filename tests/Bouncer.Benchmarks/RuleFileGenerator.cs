using System.Globalization;
using System.Text;

namespace Bouncer.Benchmarks;

/// <summary>
/// Writes a large, valid rule file of the kinds of rules people write: IPv4 and IPv6, single ports,
/// ranges and operators, service names, timeouts, session limits and log options. Deterministic, so
/// every run measures the same text.
/// </summary>
internal static class RuleFileGenerator
{
    public static string Generate(int rules)
    {
        var text = new StringBuilder("# generated benchmark file\nlogoutput: stderr\ntimeout.io: 60\ntimeout.connect: 10\n\n");
        for (var i = 0; i < rules; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"# rule {i + 1}\n");
            text.Append(Rule(i));
        }

        return text.ToString();
    }

    private static string Rule(int i)
    {
        var net = $"10.{i / 256 % 256}.{i % 256}";
        var port = 1024 + (i % 60000);
        return (i % 6) switch
        {
            0 => $"client pass {{\n  from: {net}.0/24 port >= 1024 to: 192.0.2.{(i % 250) + 1} port = {port}\n"
                + "  bounce to: 10.1.1.10 port = 8080\n  protocol: tcp\n  log: connect disconnect error\n  session.max: 100\n}\n",
            1 => $"client pass {{\n  from: 2001:db8:{i % 65536:x}::/48 to: ::1 port = {port}\n"
                + $"  bounce to: 2001:db8::{(i % 4096) + 1:x} port = 8443\n  timeout.io: 300\n}}\n",
            2 => $"client block {{\n  from: {net}.0/255.255.255.0 port 1024-65535 to: 192.0.2.10 port = {port}\n  log: connect error\n}}\n",
            3 => $"client pass {{ from: {net}.{(i % 250) + 1}/32 to: 192.0.2.53 port = domain bounce to: 10.1.1.53 port = domain protocol: udp }}\n",
            4 => $"client pass {{\n  from: 0/0 port 1024 - 65535 to: 192.0.2.{(i % 250) + 1} port = https\n"
                + "  bounce to: 10.1.1.20 port eq 443\n  session.max: 50\n  session.throttle: 10/60\n  timeout.connect: 5\n}\n",
            _ => $"client pass {{\n  from: ::/0 port > 1023 to: ::1 port = {port}\n  bounce to: 2001:db8::10\n"
                + "  redirect from: 2001:db8::1\n  log: connect disconnect\n}\n",
        };
    }
}
