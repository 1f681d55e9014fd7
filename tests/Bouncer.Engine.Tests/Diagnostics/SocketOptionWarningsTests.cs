using System.Net;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;
using Microsoft.Extensions.Time.Testing;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests.Diagnostics;

public sealed class SocketOptionWarningsTests
{
    [Fact]
    public void A_refused_option_of_a_rule_names_the_rule_the_option_and_the_side()
    {
        var log = new RecordingLog();
        var warnings = new RateLimitedLog(log, TimeSpan.FromHours(1), new FakeTimeProvider());
        var rule = Pass(3, TestNet.FreeEndPoint(), TestNet.FreeEndPoint());

        SocketOptionWarnings.ReportForRule(warnings, rule, null, "client side");
        SocketOptionWarnings.ReportForRule(warnings, rule, "ip_tos", "client side");
        SocketOptionWarnings.ReportForRule(warnings, rule, "ip_tos", "outgoing side");

        Assert.Equal(["warning: pass(3): the system refused socket option ip_tos on the client side"], log.Warnings);
    }

    [Fact]
    public void A_refused_option_of_a_listener_names_the_protocol_and_endpoint()
    {
        var log = new RecordingLog();
        var warnings = new RateLimitedLog(log, TimeSpan.FromHours(1), new FakeTimeProvider());
        var key = new ListenerKey(TransportProtocol.Udp, new ListenEndpoint(IPAddress.Parse("127.0.0.2"), 53));

        SocketOptionWarnings.ReportForListener(warnings, key, null);
        SocketOptionWarnings.ReportForListener(warnings, key, "so_rcvbuf");

        Assert.Equal([$"warning: udp {key.Endpoint}: the system refused socket option so_rcvbuf on the listener"], log.Warnings);
    }
}
