using System.Globalization;
using System.Net;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Report;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Report;

/// <summary>
/// The report reads exactly what the daemon writes: each event goes through the daemon's own text
/// and JSON formatters and must come back with the same fields from both layouts.
/// </summary>
public sealed class LogLineParserTests
{
    // 2025-11-22 14:03:07.123456 UTC (SessionEvents.Time).
    private static readonly long Ticks = SessionEvents.Time.UtcTicks;

    public static TheoryData<string> Layouts => ["text", "json"];

    [Theory]
    [MemberData(nameof(Layouts))]
    public void OpenLine(string layout)
    {
        var parsed = RoundTrip(SessionEvents.Opened(TestRules.Pass(1)), layout);

        Assert.Equal(
            new ParsedLine(LineKind.Session, Ticks, SessionLinePhase.Open, 1, "tcp", "198.51.100.7.51234", "192.0.2.10.80", "10.1.1.10.8080", 0, 0, "", 0),
            parsed);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void TcpEndLineWithItsCountsAndReason(string layout)
    {
        var closed = SessionEvents.Closed(TestRules.Pass(1), EndReason.LocalClientClosed, SessionEvents.Tcp(5120, 517, 517, 5120), TimeSpan.FromSeconds(2));

        var parsed = RoundTrip(closed, layout);

        Assert.Equal(
            new ParsedLine(LineKind.Session, Ticks, SessionLinePhase.End, 1, "tcp", "198.51.100.7.51234", "192.0.2.10.80", "10.1.1.10.8080", 517, 5120, "local client closed", 2),
            parsed);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ErrorDetailIsPartOfTheReasonInBothLayouts(string layout)
    {
        var closed = SessionEvents.Closed(TestRules.Pass(1), EndReason.RemotePeerError, error: "Connection refused");

        Assert.Equal("remote peer error (Connection refused)", RoundTrip(closed, layout).Reason);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void UdpEndLineTakesTheBytesOfBytesPerPackets(string layout)
    {
        var closed = SessionEvents.Closed(
            TestRules.Pass(3, protocols: Protocols.Udp), EndReason.IoTimeout, new TrafficCounters(96, 40, 40, 96, 1, 1, 1, 1),
            TimeSpan.FromSeconds(3600), protocol: TransportProtocol.Udp);

        var parsed = RoundTrip(closed, layout);

        Assert.Equal(
            new ParsedLine(LineKind.Session, Ticks, SessionLinePhase.End, 3, "udp", "198.51.100.7.51234", "192.0.2.10.80", "10.1.1.10.8080", 40, 96, "i/o timeout", 3600),
            parsed);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void BlockRuleRefusalHasNoTargetAndReasonBlocked(string layout)
    {
        var parsed = RoundTrip(SessionEvents.Blocked(TestRules.Block(2)), layout);

        Assert.Equal(
            new ParsedLine(LineKind.Session, Ticks, SessionLinePhase.Refusal, 2, "tcp", "10.9.8.7.40000", "192.0.2.10.80", "", 0, 0, "blocked", 0),
            parsed);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SessionLimitRefusalIsARefusalOfThePassRulesNumber(string layout)
    {
        var refused = SessionEvents.Blocked(TestRules.Pass(1), EndReason.SessionLimitReached) with { ErrorDetail = "session.max" };

        var parsed = RoundTrip(refused, layout);

        Assert.Equal((SessionLinePhase.Refusal, 1, "session limit reached", ""), (parsed.Phase, parsed.Rule, parsed.Reason, parsed.Target));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Ipv6EndpointsKeepThePortAfterTheLastDot(string layout)
    {
        var opened = SessionEvents.Opened(TestRules.Pass(4)) with
        {
            Client = IPEndPoint.Parse("[2001:db8::7]:5000"),
            Local = IPEndPoint.Parse("[::1]:9003"),
            Target = IPEndPoint.Parse("[::1]:9004"),
        };

        var parsed = RoundTrip(opened, layout);

        Assert.Equal(("2001:db8::7.5000", "::1.9003", "::1.9004"), (parsed.Client, parsed.Local, parsed.Target));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void IoOperationLinesAreKnownButNotSessions(string layout)
    {
        var io = SessionEvents.Io(TestRules.Pass(1), IoDirection.TargetToClient, "HTTP/1.1 200 OK\r\n"u8.ToArray());

        Assert.Equal(LineKind.Other, RoundTrip(io, layout).Kind);
    }

    [Theory]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: reloaded /etc/bouncer.conf in 41.7 ms: rules: 1 added")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: state: session pass(1) tcp: client 198.51.100.7.51234")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: warning: pass(1): session.max reached, refusing tcp client 127.0.0.12")]
    [InlineData("""{"time":"2025-11-22T14:03:07.1234560+00:00","level":"info","pid":4242,"message":"bouncer 0.1.0 started"}""")]
    public void TheDaemonsOwnMessagesAreKnownLines(string line)
    {
        var parsed = ParsedLine.Of(line);

        Assert.Equal((LineKind.Other, Ticks), (parsed.Kind, parsed.Ticks));
    }

    [Fact]
    public void BarefootdLinesShareTheLayout()
    {
        var parsed = ParsedLine.Of(
            "Nov 22 14:03:09 (1763820189.456789) barefootd[311]: info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7.51234 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s");

        Assert.Equal((LineKind.Session, SessionLinePhase.End, 517L, 5120L), (parsed.Kind, parsed.Phase, parsed.BytesFromClient, parsed.BytesToClient));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1763820189456).UtcTicks + 7890, parsed.Ticks);
    }

    [Theory]
    [InlineData("2025-11-22T15:03:07.123456+01:00 gateway bouncer[4242]: info: block(2): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0")]
    [InlineData("2025-11-22T14:03:07.123456+0000 gateway bouncer[4242]: info: block(2): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0")]
    public void SyslogLinesWithRfc3339StampsAreRead(string line)
    {
        var parsed = ParsedLine.Of(line);

        Assert.Equal((LineKind.Session, SessionLinePhase.Refusal, 2, Ticks), (parsed.Kind, parsed.Phase, parsed.Rule, parsed.Ticks));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7.51234 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client clo")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7.51234 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: s")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7.99999 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect ]: x -> 198.51.100.7.5 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connect [: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): sctp/connect [: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(x): tcp/connect [: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: block(2): tcp/connect ]: 10.9.8.7.40000")]
    [InlineData("Nov 22 14:03:07 (17638201x7.123456) bouncer[4242]: info: block(2): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0")]
    [InlineData("Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1): tcp/connNov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: pass(1)")]
    [InlineData("""{"time":"2025-11-22T14:03:07.1234560+00:00","level":"info","rule":1,"verdict":"pass","protocol":"tcp","phase":"close","client":{"address":"198.51.100.7","port":51234},"local":{"address":"192.0.2.10","port":80},"bytesToClient":""")]
    [InlineData("""{"time":"2025-11-22T14:03:07.1234560+00:00","level":"info","rule":1,"verdict":"pass","protocol":"tcp","phase":"open","local":{"address":"192.0.2.10","port":80}}""")]
    [InlineData("""{"time":"2025-11-22T14:03:07.1234560+00:00","rule":1,"verdict":"pass","protocol":"tcp","phase":"open","client":{"address":"198.51.100.7","port":51234},"local":{"address":"192.0.2.10","port":80}}{"time":"x"}""")]
    [InlineData("""{"time":"yesterday","level":"info","message":"started"}""")]
    [InlineData("""{"level":"info","message":"no time"}""")]
    [InlineData("""{"time":"2025-11-22T14:03:07.1234560+00:00","rule":{"a":[1,2]},"verdict":"pass","protocol":"tcp","phase":"open","client":{"address":"198.51.100.7","port":51234},"local":{"address":"192.0.2.10","port":80}}""")]
    [InlineData("[1,2,3]")]
    public void MalformedAndTruncatedLinesAreUnreadable(string line)
    {
        Assert.Equal(LineKind.Unreadable, ParsedLine.Of(line).Kind);
    }

    [Fact]
    public void ALineAfterAnUnreadableOneIsReadAsUsual()
    {
        var parser = new LogLineParser();
        ParsedLine.Of(parser, """{"time":"2025-11-22T14:03:07Z","phase":"close","client":{"address":"1.2.3.4","port":1},"reason":"x" """);

        var parsed = ParsedLine.Of(parser, Text(SessionEvents.Opened(TestRules.Pass(1))));

        Assert.Equal((LineKind.Session, "198.51.100.7.51234"), (parsed.Kind, parsed.Client));
    }

    private static ParsedLine RoundTrip(SessionEvent sessionEvent, string layout) =>
        ParsedLine.Of(layout == "json" ? Json(sessionEvent) : Text(sessionEvent));

    private static string Text(SessionEvent sessionEvent)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new BarefootTextFormatter(header: true, TimeZoneInfo.Utc, processId: 4242).Format(SessionLogEventFactory.Create(sessionEvent, includePayload: true), writer);
        return writer.ToString().TrimEnd('\n');
    }

    private static string Json(SessionEvent sessionEvent)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new JsonLineFormatter(processId: 4242).Format(SessionLogEventFactory.Create(sessionEvent, includePayload: true), writer);
        return writer.ToString().TrimEnd('\n');
    }
}
