using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Bouncer.Cli.Tests.Support;
using Bouncer.Cli.Verify;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Verify;

public sealed class RuleTablePrinterTests
{
    [Fact]
    public void DefaultsAreSpelledOut()
    {
        var text = Print(TestRules.Table(TestRules.Pass(1)));

        Assert.Equal(
            """
            # bouncer.conf: 1 rule, 1 listener
            settings:
              external: none (the OS chooses the source address)
              external.rotation: none
              external.protocol: ipv4 ipv6
              internal.protocol: ipv4 ipv6
              logoutput: stderr
              errorlog: none
              debug: 0
              timeout.connect: 30
              timeout.io.tcp: 0 (none)
              timeout.io.udp: 3600
              timeout.tcp_fin_wait: 0 (none)
              udp.connectdst: yes
              srchost: none
              compatibility: none
              socket options: none
              user.privileged: none
              user.unprivileged: none

            rule 1: client pass (bouncer.conf:5:1)
              from: 198.51.100.0/24
              to: 192.0.2.10 port = 80
              listen: 192.0.2.10:80
              bounce to: 10.1.1.10 port = 8080
              protocol: tcp
              log: none
              timeout.connect: 30
              timeout.io.tcp: 0 (none)
              timeout.io.udp: 3600
              timeout.tcp_fin_wait: 0 (none)
              session.max: none
              session.throttle: none
              session.state.key: none
              session.state.max: none
              session.state.throttle: none
              bandwidth: none
              redirect from: none
              socket options: none

            listeners:
              tcp 192.0.2.10:80 -> rule 1

            """,
            text);
    }

    [Fact]
    public void EverySettingAndOptionThatIsSetIsShown()
    {
        var settings = Settings.Defaults with
        {
            Externals = [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")],
            Rotation = ExternalRotation.SameSame,
            ExternalFamilies = AddressFamilies.IPv4,
            InternalFamilies = AddressFamilies.IPv6,
            LogOutput = [new LogDestination(LogDestinationKind.Syslog, "daemon"), new LogDestination(LogDestinationKind.File, "/var/log/bouncer.log")],
            ErrorLog = [LogDestination.Stderr],
            Debug = 1,
            Timeouts = new Timeouts(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2.5)),
            UdpConnectDestination = false,
            SourceHostChecks = SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch,
            SamePort = true,
            SocketOptions = [new SocketOption(SocketSide.External, SocketOptionKind.NoDelay, 1, "external.tcp.tcp_nodelay")],
            Users = new UserSettings("root", "bouncer"),
        };
        var rule = TestRules.Pass(2, protocols: Protocols.Both, log: LogEvents.Connect | LogEvents.Disconnect | LogEvents.IoOperation) with
        {
            From = new ClientSelector(new DomainPattern("partner.example"), new PortMatch(PortOperator.Range, 1024, 65535)),
            Limits = new SessionLimits(100, new Throttle(10, TimeSpan.FromSeconds(60)), 5, new Throttle(2, TimeSpan.FromSeconds(1))),
            BandwidthBytesPerSecond = 1_000_000,
            RedirectFrom = IPAddress.Parse("192.0.2.2"),
            SocketOptions =
            [
                new SocketOption(SocketSide.Internal, SocketOptionKind.FreeBind, 1, "internal.ip.ip_freebind"),
                new SocketOption(SocketSide.Internal, SocketOptionKind.ReceiveBuffer, 65536, "internal.socket.so_rcvbuf"),
            ],
            To = new ListenSelector("eth0 port = 53", [new ListenEndpoint(IPAddress.Parse("192.0.2.10"), 53), new ListenEndpoint(IPAddress.Parse("2001:db8::10"), 53)]),
            Target = new BounceTarget(null, "dns.internal.example", 53),
        };
        var table = new RuleTable("/etc/bouncer.conf", settings, [TestRules.Pass(1, listen: "192.0.2.10", port: 53, protocols: Protocols.Udp), rule, TestRules.Block(3)]);

        var lines = Print(table).Split('\n');

        Assert.Equal("# /etc/bouncer.conf: 3 rules, 5 listeners", lines[0]);
        string[] expectedSettings =
        [
            "  external: 192.0.2.1 2001:db8::1",
            "  external.rotation: same-same",
            "  external.protocol: ipv4",
            "  internal.protocol: ipv6",
            "  logoutput: syslog/daemon /var/log/bouncer.log",
            "  errorlog: stderr",
            "  debug: 1",
            "  timeout.connect: 10",
            "  timeout.io.tcp: 600",
            "  timeout.io.udp: 60",
            "  timeout.tcp_fin_wait: 2.5",
            "  udp.connectdst: no",
            "  srchost: nodnsunknown nodnsmismatch",
            "  compatibility: sameport",
            "  socket options: external.tcp.tcp_nodelay: 1",
            "  user.privileged: root",
            "  user.unprivileged: bouncer",
        ];
        Assert.Equal(expectedSettings, lines[2..19]);
        var second = Array.IndexOf(lines, "rule 2: client pass (bouncer.conf:10:1)");
        Assert.True(second > 0);
        string[] expectedRule =
        [
            "  from: .partner.example port 1024-65535",
            "  to: eth0 port = 53",
            "  listen: 192.0.2.10:53, [2001:db8::10]:53",
            "  bounce to: dns.internal.example port = 53",
            "  protocol: tcp udp",
            "  log: connect disconnect iooperation",
            "  timeout.connect: 30",
            "  timeout.io.tcp: 0 (none)",
            "  timeout.io.udp: 3600",
            "  timeout.tcp_fin_wait: 0 (none)",
            "  session.max: 100",
            "  session.throttle: 10/60",
            "  session.state.key: from",
            "  session.state.max: 5",
            "  session.state.throttle: 2/1",
            "  bandwidth: 1000000 bytes/s",
            "  redirect from: 192.0.2.2",
            "  socket options: internal.ip.ip_freebind: 1, internal.socket.so_rcvbuf: 65536",
        ];
        Assert.Equal(expectedRule, lines[(second + 1)..(second + 1 + expectedRule.Length)]);
        Assert.Contains("rule 3: client block (bouncer.conf:15:1)", lines);
        Assert.Contains("  bounce to: none", lines);
        var listeners = lines[(Array.IndexOf(lines, "listeners:") + 1)..].Where(l => l.Length > 0);
        Assert.Equal(
            [
                "  udp 192.0.2.10:53 -> rules 1, 2",
                "  tcp 192.0.2.10:53 -> rule 2",
                "  tcp [2001:db8::10]:53 -> rule 2",
                "  udp [2001:db8::10]:53 -> rule 2",
                "  tcp 192.0.2.10:80 -> rule 3",
            ],
            listeners);
    }

    private static string Print(RuleTable table)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new RuleTablePrinter(writer).Print(table);
        return writer.ToString();
    }
}
