using System.Globalization;
using System.Net;
using System.Text;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;
using Serilog.Events;
using Serilog.Parsing;

namespace Bouncer.Cli.Tests.Logging;

public sealed class BarefootTextFormatterTests
{
    private const string Header = "Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: ";

    private static readonly Rule PassOne = TestRules.Pass(1);

    [Fact]
    public void OpenedTcpSessionIsBarefootsOpenLine()
    {
        Assert.Equal(
            Header + "info: pass(1): tcp/connect [: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080\n",
            Format(SessionEvents.Opened(PassOne)));
    }

    [Fact]
    public void ClosedTcpSessionCarriesCountersPairsReasonAndDuration()
    {
        var closed = SessionEvents.Closed(
            PassOne, EndReason.LocalClientClosed, SessionEvents.Tcp(5120, 517, 517, 5120), TimeSpan.FromSeconds(2.4));

        Assert.Equal(
            Header + "info: pass(1): tcp/connect ]: 5120 -> 198.51.100.7.51234 192.0.2.10.80 -> 517, " +
            "517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s\n",
            Format(closed));
    }

    [Fact]
    public void RefusedConnectIsRemotePeerErrorWithTheCause()
    {
        var closed = SessionEvents.Closed(PassOne, EndReason.RemotePeerError, error: "Connection refused") with
        {
            Client = IPEndPoint.Parse("198.51.100.8:40000"),
            Outgoing = IPEndPoint.Parse("192.0.2.1:40000"),
        };

        Assert.Equal(
            Header + "info: pass(1): tcp/connect ]: 0 -> 198.51.100.8.40000 192.0.2.10.80 -> 0, " +
            "0 -> 192.0.2.1.40000 10.1.1.10.8080 -> 0: remote peer error (Connection refused).  Session duration: 0s\n",
            Format(closed));
    }

    [Fact]
    public void BlockedConnectionIsBarefootsBlockLine()
    {
        Assert.Equal(
            Header + "info: block(2): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0\n",
            Format(SessionEvents.Blocked(TestRules.Block(2))));
    }

    [Fact]
    public void SessionLimitOnAPassRuleIsABlockLineWithTheReason()
    {
        Assert.Equal(
            Header + "info: block(1): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0: session limit reached\n",
            Format(SessionEvents.Blocked(PassOne, EndReason.SessionLimitReached)));
    }

    [Fact]
    public void UdpFlowEndCountsBytesAndPackets()
    {
        var udp = SessionEvents.Closed(
            TestRules.Pass(3, port: 53, protocols: Protocols.Udp),
            EndReason.IoTimeout,
            new TrafficCounters(96, 40, 40, 96, 1, 1, 1, 1),
            TimeSpan.FromSeconds(3600),
            protocol: TransportProtocol.Udp) with
        {
            Client = IPEndPoint.Parse("198.51.100.7:5353"),
            Local = IPEndPoint.Parse("192.0.2.10:53"),
            Outgoing = IPEndPoint.Parse("192.0.2.1:5353"),
            Target = IPEndPoint.Parse("10.1.1.53:53"),
            Timestamp = DateTimeOffset.FromUnixTimeSeconds(1763820240).AddTicks(10),
        };

        Assert.Equal(
            "Nov 22 14:04:00 (1763820240.000001) bouncer[4242]: info: pass(3): udp/udpassociate ]: 96/1 -> 198.51.100.7.5353 192.0.2.10.53 -> 40/1, " +
            "40/1 -> 192.0.2.1.5353 10.1.1.53.53 -> 96/1: i/o timeout.  Session duration: 3600s\n",
            Format(udp));
    }

    [Theory]
    [InlineData(EndReason.LocalClientClosed, null, "local client closed")]
    [InlineData(EndReason.RemotePeerClosed, null, "remote peer closed")]
    [InlineData(EndReason.LocalClientError, "Connection reset by peer", "local client error (Connection reset by peer)")]
    [InlineData(EndReason.RemotePeerError, "No route to host", "remote peer error (No route to host)")]
    [InlineData(EndReason.IoTimeout, null, "i/o timeout")]
    [InlineData(EndReason.ConnectTimeout, null, "connect timeout")]
    [InlineData(EndReason.TcpFinWaitTimeout, null, "tcp-fin-wait timeout")]
    [InlineData(EndReason.AdministrativeTermination, null, "administrative termination")]
    public void EveryEndReasonHasBarefootsWords(EndReason reason, string? error, string expected)
    {
        var line = Format(SessionEvents.Closed(PassOne, reason, error: error, duration: TimeSpan.FromSeconds(7)));

        Assert.EndsWith($": {expected}.  Session duration: 7s\n", line, StringComparison.Ordinal);
    }

    [Fact]
    public void IoOperationTowardsTheTargetNamesClientPairFirst()
    {
        var io = SessionEvents.Io(PassOne, IoDirection.ClientToTarget, Encoding.ASCII.GetBytes("hello"));

        Assert.Equal(
            Header + "info: pass(1): tcp/connect -: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080 (5)\n",
            Format(io));
    }

    [Fact]
    public void IoOperationTowardsTheClientNamesTargetPairFirst()
    {
        var io = SessionEvents.Io(PassOne, IoDirection.TargetToClient, new byte[1400]);

        Assert.Equal(
            Header + "info: pass(1): tcp/connect -: 10.1.1.10.8080 192.0.2.1.51234 -> 192.0.2.10.80 198.51.100.7.51234 (1400)\n",
            Format(io));
    }

    [Fact]
    public void DataLineAppendsTheEscapedPayload()
    {
        var io = SessionEvents.Io(PassOne, IoDirection.ClientToTarget, [.. "GET / HTTP/1.0\r\n"u8, 0x00, 0x1b, (byte)'\\', 0xff]);

        Assert.Equal(
            Header + @"info: pass(1): tcp/connect -: 198.51.100.7.51234 192.0.2.10.80 -> 192.0.2.1.51234 10.1.1.10.8080 (20): GET / HTTP/1.0\r\n\x00\x1b\\\xff" + "\n",
            Format(io, includePayload: true));
    }

    [Fact]
    public void Ipv6EndpointsAreAddressDotPort()
    {
        var opened = SessionEvents.Opened(PassOne) with
        {
            Client = IPEndPoint.Parse("[2001:db8::7]:51234"),
            Local = IPEndPoint.Parse("[::1]:80"),
        };

        Assert.Contains("[: 2001:db8::7.51234 ::1.80 -> ", Format(opened), StringComparison.Ordinal);
    }

    [Fact]
    public void SingleDigitDaysArePaddedWithASpaceAsSyslogDoes()
    {
        var early = SessionEvents.Opened(PassOne) with { Timestamp = new DateTimeOffset(2025, 3, 2, 1, 2, 3, TimeSpan.Zero) };

        Assert.StartsWith("Mar  2 01:02:03 (1740877323.000000) bouncer[4242]: ", Format(early), StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderUsesTheConfiguredTimeZoneButUnixTimeStaysUtc()
    {
        var plusTwo = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");
        var line = Render(new BarefootTextFormatter(true, plusTwo, 4242), SessionLogEventFactory.Create(SessionEvents.Opened(PassOne), false));

        Assert.StartsWith("Nov 22 16:03:07 (1763820187.123456) bouncer[4242]: ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LogEventLevel.Information, "info")]
    [InlineData(LogEventLevel.Warning, "warning")]
    [InlineData(LogEventLevel.Error, "error")]
    [InlineData(LogEventLevel.Debug, "debug")]
    public void OperationalMessagesAreLevelAndText(LogEventLevel level, string name)
    {
        var message = new LogEvent(SessionEvents.Time, level, null, new MessageTemplate([new TextToken("bound tcp {192.0.2.10}:80")]), []);

        Assert.Equal($"{Header}{name}: bound tcp {{192.0.2.10}}:80\n", Render(Formatter(), message));
    }

    [Fact]
    public void WithoutHeaderTheLineStartsAtTheLevel()
    {
        var line = Render(new BarefootTextFormatter(header: false), SessionLogEventFactory.Create(SessionEvents.Blocked(TestRules.Block(2)), false));

        Assert.Equal("info: block(2): tcp/connect ]: 10.9.8.7.40000 192.0.2.10.80 -> 0.0.0.0.0 0.0.0.0.0\n", line);
    }

    private static BarefootTextFormatter Formatter() => new(header: true, TimeZoneInfo.Utc, 4242);

    private static string Format(SessionEvent sessionEvent, bool includePayload = false) =>
        Render(Formatter(), SessionLogEventFactory.Create(sessionEvent, includePayload));

    private static string Render(BarefootTextFormatter formatter, LogEvent logEvent)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, writer);
        return writer.ToString();
    }
}
