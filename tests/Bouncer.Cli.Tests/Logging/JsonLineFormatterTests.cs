using System.Globalization;
using System.Text;
using System.Text.Json;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;
using Serilog.Events;
using Serilog.Parsing;

namespace Bouncer.Cli.Tests.Logging;

public sealed class JsonLineFormatterTests
{
    [Fact]
    public void ClosedTcpSessionHasEveryNamedField()
    {
        var closed = SessionEvents.Closed(
            TestRules.Pass(1), EndReason.LocalClientClosed, SessionEvents.Tcp(5120, 517, 517, 5120), TimeSpan.FromMilliseconds(2345));

        using var json = Parse(closed);
        var root = json.RootElement;

        Assert.Equal("2025-11-22T14:03:07.1234560+00:00", root.GetProperty("time").GetString());
        Assert.Equal("info", root.GetProperty("level").GetString());
        Assert.Equal(4242, root.GetProperty("pid").GetInt32());
        Assert.Equal(1, root.GetProperty("rule").GetInt32());
        Assert.Equal("pass", root.GetProperty("verdict").GetString());
        Assert.Equal("tcp", root.GetProperty("protocol").GetString());
        Assert.Equal("connect", root.GetProperty("event").GetString());
        Assert.Equal("close", root.GetProperty("phase").GetString());
        AssertEndpoint(root.GetProperty("client"), "198.51.100.7", 51234);
        AssertEndpoint(root.GetProperty("local"), "192.0.2.10", 80);
        AssertEndpoint(root.GetProperty("outgoing"), "192.0.2.1", 51234);
        AssertEndpoint(root.GetProperty("target"), "10.1.1.10", 8080);
        Assert.Equal(5120, root.GetProperty("bytesToClient").GetInt64());
        Assert.Equal(517, root.GetProperty("bytesFromClient").GetInt64());
        Assert.Equal(517, root.GetProperty("bytesToTarget").GetInt64());
        Assert.Equal(5120, root.GetProperty("bytesFromTarget").GetInt64());
        Assert.False(root.TryGetProperty("packetsToClient", out _));
        Assert.Equal("local client closed", root.GetProperty("reason").GetString());
        Assert.False(root.TryGetProperty("error", out _));
        Assert.Equal(2.345, root.GetProperty("duration").GetDouble());
        Assert.Equal(
            "pass(1): tcp/connect ]: 5120 -> 198.51.100.7.51234 192.0.2.10.80 -> 517, 517 -> 192.0.2.1.51234 10.1.1.10.8080 -> 5120: local client closed.  Session duration: 2s",
            root.GetProperty("message").GetString());
    }

    [Fact]
    public void UdpFlowEndHasPacketsEachWay()
    {
        var udp = SessionEvents.Closed(
            TestRules.Pass(3, protocols: Protocols.Udp),
            EndReason.IoTimeout,
            new TrafficCounters(96, 40, 41, 97, 1, 2, 3, 4),
            TimeSpan.FromSeconds(3600),
            protocol: TransportProtocol.Udp);

        using var json = Parse(udp);
        var root = json.RootElement;

        Assert.Equal("udp", root.GetProperty("protocol").GetString());
        Assert.Equal("udpassociate", root.GetProperty("event").GetString());
        Assert.Equal(96, root.GetProperty("bytesToClient").GetInt64());
        Assert.Equal(40, root.GetProperty("bytesFromClient").GetInt64());
        Assert.Equal(41, root.GetProperty("bytesToTarget").GetInt64());
        Assert.Equal(97, root.GetProperty("bytesFromTarget").GetInt64());
        Assert.Equal(1, root.GetProperty("packetsToClient").GetInt64());
        Assert.Equal(2, root.GetProperty("packetsFromClient").GetInt64());
        Assert.Equal(3, root.GetProperty("packetsToTarget").GetInt64());
        Assert.Equal(4, root.GetProperty("packetsFromTarget").GetInt64());
        Assert.Equal("i/o timeout", root.GetProperty("reason").GetString());
        Assert.Equal(3600, root.GetProperty("duration").GetDouble());
    }

    [Fact]
    public void ErrorDetailIsItsOwnField()
    {
        using var json = Parse(SessionEvents.Closed(TestRules.Pass(1), EndReason.RemotePeerError, error: "Connection refused"));

        Assert.Equal("remote peer error", json.RootElement.GetProperty("reason").GetString());
        Assert.Equal("Connection refused", json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void BlockHasNoOutgoingSideAndSaysBlocked()
    {
        using var json = Parse(SessionEvents.Blocked(TestRules.Block(2)));
        var root = json.RootElement;

        Assert.Equal("block", root.GetProperty("verdict").GetString());
        Assert.Equal(2, root.GetProperty("rule").GetInt32());
        Assert.Equal("blocked", root.GetProperty("reason").GetString());
        AssertEndpoint(root.GetProperty("client"), "10.9.8.7", 40000);
        Assert.False(root.TryGetProperty("outgoing", out _));
        Assert.False(root.TryGetProperty("target", out _));
    }

    [Fact]
    public void OpenedSessionHasNoCounters()
    {
        using var json = Parse(SessionEvents.Opened(TestRules.Pass(1)));

        Assert.Equal("open", json.RootElement.GetProperty("phase").GetString());
        Assert.False(json.RootElement.TryGetProperty("bytesToClient", out _));
        Assert.False(json.RootElement.TryGetProperty("reason", out _));
    }

    [Fact]
    public void DataOperationCarriesDirectionBytesAndEscapedPayload()
    {
        var io = SessionEvents.Io(TestRules.Pass(1), IoDirection.TargetToClient, Encoding.ASCII.GetBytes("ok\n\"x\""));

        using var json = Parse(io, includePayload: true);
        var root = json.RootElement;

        Assert.Equal("io", root.GetProperty("phase").GetString());
        Assert.Equal("target-to-client", root.GetProperty("direction").GetString());
        Assert.Equal(6, root.GetProperty("bytes").GetInt32());
        Assert.Equal("ok\\n\"x\"", root.GetProperty("payload").GetString());
    }

    [Fact]
    public void IoOperationWithoutDataHasNoPayload()
    {
        using var json = Parse(SessionEvents.Io(TestRules.Pass(1), IoDirection.ClientToTarget, [1, 2, 3]));

        Assert.Equal("client-to-target", json.RootElement.GetProperty("direction").GetString());
        Assert.False(json.RootElement.TryGetProperty("payload", out _));
    }

    [Fact]
    public void OperationalMessageIsLevelAndMessageAndOneLine()
    {
        var message = new LogEvent(
            SessionEvents.Time, LogEventLevel.Warning, new InvalidOperationException("boom"),
            new MessageTemplate([new TextToken("reload failed: \"x\"")]), []);

        var text = Render(message);
        using var json = JsonDocument.Parse(text);

        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("warning", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("reload failed: \"x\"", json.RootElement.GetProperty("message").GetString());
        Assert.Contains("boom", json.RootElement.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    private static void AssertEndpoint(JsonElement endpoint, string address, int port)
    {
        Assert.Equal(address, endpoint.GetProperty("address").GetString());
        Assert.Equal(port, endpoint.GetProperty("port").GetInt32());
    }

    private static JsonDocument Parse(SessionEvent sessionEvent, bool includePayload = false) =>
        JsonDocument.Parse(Render(SessionLogEventFactory.Create(sessionEvent, includePayload)));

    private static string Render(LogEvent logEvent)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new JsonLineFormatter(4242).Format(logEvent, writer);
        return writer.ToString();
    }
}
