using Bouncer.Cli.Logging;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;
using Serilog;
using Serilog.Events;

namespace Bouncer.Cli.Tests.Logging;

public sealed class SessionEventLoggerTests
{
    public static TheoryData<LogEvents, EndReason, bool> ClosedCases => new()
    {
        { LogEvents.Disconnect, EndReason.LocalClientClosed, true },
        { LogEvents.Disconnect, EndReason.RemotePeerError, true },
        { LogEvents.Error, EndReason.LocalClientClosed, false },
        { LogEvents.Error, EndReason.RemotePeerClosed, false },
        { LogEvents.Error, EndReason.AdministrativeTermination, false },
        { LogEvents.Error, EndReason.LocalClientError, true },
        { LogEvents.Error, EndReason.RemotePeerError, true },
        { LogEvents.Error, EndReason.IoTimeout, true },
        { LogEvents.Error, EndReason.ConnectTimeout, true },
        { LogEvents.Error, EndReason.TcpFinWaitTimeout, true },
        { LogEvents.Connect, EndReason.LocalClientClosed, false },
        { LogEvents.Connect, EndReason.IoTimeout, false },
        { LogEvents.None, EndReason.RemotePeerError, false },
    };

    [Theory]
    [MemberData(nameof(ClosedCases))]
    public void ClosedSessionFollowsDisconnectAndError(LogEvents log, EndReason reason, bool logged)
    {
        var collected = Publish(0, SessionEvents.Closed(TestRules.Pass(1, log: log), reason));

        Assert.Equal(logged ? 1 : 0, collected.Count);
    }

    [Theory]
    [InlineData(LogEvents.Connect, true)]
    [InlineData(LogEvents.Disconnect, false)]
    [InlineData(LogEvents.Error, false)]
    [InlineData(LogEvents.None, false)]
    public void OpenedSessionNeedsConnect(LogEvents log, bool logged)
    {
        var collected = Publish(0, SessionEvents.Opened(TestRules.Pass(1, log: log)));

        Assert.Equal(logged ? 1 : 0, collected.Count);
    }

    [Theory]
    [InlineData(LogEvents.Connect, true)]
    [InlineData(LogEvents.Disconnect, true)]
    [InlineData(LogEvents.Error, true)]
    [InlineData(LogEvents.IoOperation, false)]
    [InlineData(LogEvents.None, false)]
    public void BlockIsLoggedForConnectDisconnectOrError(LogEvents log, bool logged)
    {
        var collected = Publish(0, SessionEvents.Blocked(TestRules.Block(2, log)));

        Assert.Equal(logged ? 1 : 0, collected.Count);
    }

    [Theory]
    [InlineData(LogEvents.Error, true)]
    [InlineData(LogEvents.Disconnect, true)]
    [InlineData(LogEvents.None, false)]
    public void SessionLimitIsAnErrorAndABlock(LogEvents log, bool logged)
    {
        var collected = Publish(0, SessionEvents.Blocked(TestRules.Pass(1, log: log), EndReason.SessionLimitReached));

        Assert.Equal(logged ? 1 : 0, collected.Count);
    }

    [Theory]
    [InlineData(LogEvents.IoOperation, true, false)]
    [InlineData(LogEvents.Data, true, true)]
    [InlineData(LogEvents.Connect | LogEvents.Disconnect, false, false)]
    public void IoOperationNeedsIoOperationOrData(LogEvents log, bool logged, bool withPayload)
    {
        var collected = Publish(0, SessionEvents.Io(TestRules.Pass(1, log: log), IoDirection.ClientToTarget, [65, 66]));

        Assert.Equal(logged ? 1 : 0, collected.Count);
        if (logged)
        {
            Assert.Equal(withPayload, collected[0].Properties.ContainsKey(SessionLogProperties.Payload));
            Assert.Equal(2, ((ScalarValue)collected[0].Properties[SessionLogProperties.Bytes]).Value);
        }
    }

    [Theory]
    [InlineData(LogEvents.None, 0)]
    [InlineData(LogEvents.Connect, 0)]
    [InlineData(LogEvents.Disconnect, 0)]
    [InlineData(LogEvents.Error, 0)]
    [InlineData(LogEvents.Connect | LogEvents.Disconnect | LogEvents.Error, 0)]
    [InlineData(LogEvents.None, 1)]
    public void WantsSaysBeforehandWhetherAnEventWouldBeWritten(LogEvents log, int debug)
    {
        var rule = TestRules.Pass(1, log: log);
        SessionEvent[] events =
        [
            SessionEvents.Opened(rule),
            SessionEvents.Closed(rule, EndReason.LocalClientClosed),
            SessionEvents.Closed(rule, EndReason.RemotePeerError),
            SessionEvents.Blocked(rule),
            SessionEvents.Blocked(rule, EndReason.SessionLimitReached),
        ];
        using var host = Host(new CollectingSink(), debug);
        var logger = new SessionEventLogger(host);

        foreach (var sessionEvent in events)
        {
            var written = Publish(debug, sessionEvent).Count == 1;
            Assert.Equal(written, logger.Wants(sessionEvent.Rule, sessionEvent.Phase, sessionEvent.Reason));
        }
    }

    [Fact]
    public void DebugLogsTheImplicitBlockOfRuleZero()
    {
        var blocked = SessionEvents.Blocked(Rule.ImplicitBlock);

        Assert.Empty(Publish(0, blocked));
        var collected = Publish(1, blocked);
        Assert.Single(collected);
        Assert.Equal(0, ((ScalarValue)collected[0].Properties[SessionLogProperties.Rule]).Value);
        Assert.Equal("block", ((ScalarValue)collected[0].Properties[SessionLogProperties.Verdict]).Value);
    }

    [Fact]
    public void DebugLogsEveryPhaseOfARuleWithoutLogEvents()
    {
        var rule = TestRules.Pass(1);

        var collected = Publish(
            1,
            SessionEvents.Opened(rule),
            SessionEvents.Io(rule, IoDirection.ClientToTarget, [1]),
            SessionEvents.Closed(rule, EndReason.LocalClientClosed));

        Assert.Equal(3, collected.Count);
        Assert.False(collected[1].Properties.ContainsKey(SessionLogProperties.Payload));
    }

    [Fact]
    public void DebugTwoAddsPayloads()
    {
        var collected = Publish(2, SessionEvents.Io(TestRules.Pass(1), IoDirection.ClientToTarget, [65]));

        Assert.Equal("A", ((ScalarValue)collected.Single().Properties[SessionLogProperties.Payload]).Value);
    }

    [Fact]
    public void EventKeepsTheEngineTimestampAndIsInformation()
    {
        var collected = Publish(0, SessionEvents.Opened(TestRules.Pass(1, log: LogEvents.Connect)));

        Assert.Equal(SessionEvents.Time, collected.Single().Timestamp);
        Assert.Equal(LogEventLevel.Information, collected.Single().Level);
    }

    [Fact]
    public void EngineLogWritesLiteralTextAtItsLevel()
    {
        var sink = new CollectingSink();
        using var host = Host(sink, 0);
        var log = new EngineLog(host, TimeProvider.System);

        log.Info("bound {tcp} 127.0.0.2:80");
        log.Warning("w");
        log.Error("e");

        var events = sink.Events.ToArray();
        Assert.Equal([LogEventLevel.Information, LogEventLevel.Warning, LogEventLevel.Error], events.Select(e => e.Level));
        Assert.Equal("bound {tcp} 127.0.0.2:80", events[0].RenderMessage());
        Assert.Empty(events[0].Properties);
    }

    private static LogPipelineHost Host(CollectingSink sink, int debug) =>
        new(LogPipeline.FromLogger(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger(), debug), publishGlobal: false);

    private static List<LogEvent> Publish(int debug, params SessionEvent[] events)
    {
        var sink = new CollectingSink();
        using var host = Host(sink, debug);
        var logger = new SessionEventLogger(host);
        foreach (var sessionEvent in events)
        {
            logger.Publish(sessionEvent);
        }

        return [.. sink.Events];
    }
}
