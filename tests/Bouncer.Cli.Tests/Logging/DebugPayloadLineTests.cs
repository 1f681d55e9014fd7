using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine;
using Bouncer.Engine.Events;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Serilog;
using Serilog.Events;

namespace Bouncer.Cli.Tests.Logging;

/// <summary>
/// <c>-d 2</c> through the real engine and logger: the I/O line of a rule without <c>log: data</c>
/// shows the payload, because the engine and the logger ask the same policy.
/// </summary>
public sealed class DebugPayloadLineTests
{
    [Theory(Timeout = 30_000)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public async Task Io_line_shows_the_payload_at_debug_two_only(int debug, bool withPayload)
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(Loopback.TargetA, 0));
        target.Listen();
        var targetPort = ((IPEndPoint)target.LocalEndPoint!).Port;
        var listenPort = Loopback.FreePort(Loopback.Bouncer);
        var rule = TestRules.Pass(1, listen: Loopback.Bouncer.ToString(), port: listenPort, from: "127.0.0.0", fromBits: 8)
            with { Target = new BounceTarget(Loopback.TargetA, null, targetPort) };

        var sink = new CollectingSink();
        using var host = new LogPipelineHost(
            LogPipeline.FromLogger(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger(), debug),
            publishGlobal: false);
        await using var engine = new BouncerEngine(new EngineOptions { Debug = debug }, new SessionEventLogger(host), new EngineLog(host, TimeProvider.System), SystemNetworkEnvironment.Instance);
        await engine.StartAsync(TestRules.Table(rule), CancellationToken.None);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var client = await Loopback.ConnectAsync(Loopback.Bouncer, listenPort);
            using var accepted = await target.AcceptAsync(timeout.Token);
            await client.SendAsync(Encoding.ASCII.GetBytes("ping"), SocketFlags.None, timeout.Token);
            var received = new byte[4];
            var got = 0;
            while (got < received.Length)
            {
                got += await accepted.ReceiveAsync(received.AsMemory(got), SocketFlags.None, timeout.Token);
            }

            var line = await IoLineAsync(sink, timeout.Token);
            Assert.Equal(withPayload, line.EndsWith("(4): ping\n", StringComparison.Ordinal));
            Assert.Contains("(4)", line, StringComparison.Ordinal);
        }
        finally
        {
            await engine.StopAsync(TimeSpan.Zero, CancellationToken.None);
        }
    }

    // Waits, bounded by the token, for the first client-to-target I/O line, rendered as the daemon writes it.
    private static async Task<string> IoLineAsync(CollectingSink sink, CancellationToken cancellationToken)
    {
        while (true)
        {
            var io = sink.Events.FirstOrDefault(e =>
                e.Properties.TryGetValue(SessionLogProperties.Direction, out var direction)
                && Equals(((ScalarValue)direction).Value, SessionLogProperties.ClientToTarget));
            if (io is not null)
            {
                var writer = new StringWriter(CultureInfo.InvariantCulture);
                new BarefootTextFormatter(header: false).Format(io, writer);
                return writer.ToString();
            }

            await Task.Delay(20, cancellationToken);
        }
    }
}
