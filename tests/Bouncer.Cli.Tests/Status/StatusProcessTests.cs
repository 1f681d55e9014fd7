using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;

namespace Bouncer.Cli.Tests.Status;

/// <summary><c>--status</c> against the real executable: exact counter deltas after known traffic, reloads, the page, and a hostile client.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class StatusProcessTests : IDisposable
{
    private const string Sessions = "bouncer_sessions_total";
    private const string Active = "bouncer_sessions_active";
    private const string Refused = "bouncer_refused_total";
    private const string Bytes = "bouncer_bytes_total";
    private const string Reloads = "bouncer_reloads_total";

    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public StatusProcessTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 90_000)]
    public async Task KnownTrafficMovesEachRulesCountersByExactlyThatTrafficAndAReloadKeepsThem()
    {
        await using var tcpTarget = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var udpTarget = new TaggedUdpTarget(Loopback.TargetA, "U");
        await using var site = await StatusSite.StartAsync(_directory, tcpTarget.Port, udpTarget.Port);
        var pass = site.Labels("pass(1)", "tcp", site.TcpPort);
        var block = site.Labels("block(2)", "tcp", site.BlockedPort);
        var udp = site.Labels("pass(3)", "udp", site.UdpPort);

        var before = await StatusClient.MetricsAsync(site.Status);

        // Three TCP sessions: each reads the 2-byte greeting "A\n", sends "hello\n" (6) and reads its echo (6).
        for (var i = 0; i < 3; i++)
        {
            var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, site.TcpPort);
            using (socket)
            {
                Assert.Equal("A", name);
                Assert.Equal("hello", await TaggedTcpTarget.EchoAsync(socket, "hello"));
            }
        }

        // Two clients turned away by the block rule.
        for (var i = 0; i < 2; i++)
        {
            await ConnectUntilClosedAsync(site.BlockedPort);
        }

        // One UDP flow of two datagrams: "ping" (4) answered "U:ping" (6), twice.
        using (var client = TaggedUdpTarget.Client(Loopback.Bouncer, site.UdpPort))
        {
            Assert.Equal("U:ping", await TaggedUdpTarget.AskAsync(client, "ping"));
            Assert.Equal("U:ping", await TaggedUdpTarget.AskAsync(client, "ping"));
        }

        var after = await WaitForAsync(site.Status, m => m[Active, pass] == 0, "the TCP sessions to end");
        Assert.Equal(3, Delta(before, after, Sessions, pass));
        Assert.Equal(3 * 6, Delta(before, after, Bytes, [.. pass, ("direction", "from_client")]));
        Assert.Equal(3 * (2 + 6), Delta(before, after, Bytes, [.. pass, ("direction", "to_client")]));
        Assert.Equal(0, Delta(before, after, Refused, pass));
        Assert.Equal(2, Delta(before, after, Refused, block));
        Assert.Equal(0, Delta(before, after, Sessions, block));
        Assert.Equal(1, Delta(before, after, Sessions, udp));
        Assert.Equal(2 * 4, Delta(before, after, Bytes, [.. udp, ("direction", "from_client")]));
        Assert.Equal(2 * 6, Delta(before, after, Bytes, [.. udp, ("direction", "to_client")]));
        Assert.Equal(3, after["bouncer_listeners"]);

        // A reload of the same file: one more ok reload, and the unchanged rules keep their counts.
        site.Daemon.Signal(DaemonProcess.SigHup);
        await site.Daemon.WaitForLineAsync("reloaded ");
        var reloaded = await StatusClient.MetricsAsync(site.Status);
        Assert.Equal(1, Delta(after, reloaded, Reloads, ("result", "ok")));
        Assert.Equal(0, Delta(after, reloaded, Reloads, ("result", "failed")));
        Assert.Equal(1, Delta(after, reloaded, "bouncer_reload_duration_seconds_count"));
        Assert.Equal(after[Sessions, pass], reloaded[Sessions, pass]);
        Assert.Equal(after[Refused, block], reloaded[Refused, block]);
        Assert.Equal(after[Bytes, [.. pass, ("direction", "to_client")]], reloaded[Bytes, [.. pass, ("direction", "to_client")]]);

        // And count on from there.
        var (again, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, site.TcpPort);
        again.Dispose();
        var more = await WaitForAsync(site.Status, m => m[Active, pass] == 0, "the TCP session to end");
        Assert.Equal(1, Delta(reloaded, more, Sessions, pass));

        // A broken file counts as a failed reload.
        await File.AppendAllTextAsync(site.RuleFile, "client pass {\n");
        site.Daemon.Signal(DaemonProcess.SigHup);
        await site.Daemon.WaitForLineAsync("reload of ");
        var failed = await StatusClient.MetricsAsync(site.Status);
        Assert.Equal(1, Delta(more, failed, Reloads, ("result", "failed")));
        Assert.Equal(more[Sessions, pass], failed[Sessions, pass]);
    }

    [Fact(Timeout = 60_000)]
    public async Task ThePageIsHtmlNamingEveryRuleWithAChartEach()
    {
        await using var tcpTarget = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var udpTarget = new TaggedUdpTarget(Loopback.TargetA, "U");
        await using var site = await StatusSite.StartAsync(_directory, tcpTarget.Port, udpTarget.Port);

        var page = await StatusClient.GetAsync(site.Status, "/");

        Assert.Equal(200, page.Status);
        Assert.StartsWith("text/html", page.ContentType, StringComparison.Ordinal);
        foreach (var rule in new[] { "pass(1)", "block(2)", "pass(3)" })
        {
            Assert.Contains($"data-label=\"rule\">{rule}</td>", page.Body, StringComparison.Ordinal);
        }

        Assert.Equal(3, CountOf(page.Body, "<svg class=\"chart\""));
        Assert.Contains("http-equiv=\"refresh\"", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", page.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(404, (await StatusClient.GetAsync(site.Status, "/other")).Status);
    }

    [Fact(Timeout = 90_000)]
    public async Task AFloodOfIdleAndSlowStatusClientsNeitherLocksOutAScrapeNorStopsForwarding()
    {
        await using var tcpTarget = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var udpTarget = new TaggedUdpTarget(Loopback.TargetA, "U");
        await using var site = await StatusSite.StartAsync(_directory, tcpTarget.Port, udpTarget.Port);
        const int Idle = 600;
        var flood = new List<Socket>(Idle);
        try
        {
            // Idle connections, and slowloris ones that have sent half a request head.
            for (var i = 0; i < Idle; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(site.Status, timeout.Token);
                if (i % 2 == 0)
                {
                    await socket.SendAsync("GET /metrics HTTP/1.1\r\nX-Slow: "u8.ToArray(), SocketFlags.None);
                }
            }

            var metrics = await StatusClient.MetricsAsync(site.Status);
            Assert.True(metrics.Has(Sessions, site.Labels("pass(1)", "tcp", site.TcpPort)));
            var (socket2, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, site.TcpPort);
            using (socket2)
            {
                Assert.Equal("A", name);
                Assert.Equal("still", await TaggedTcpTarget.EchoAsync(socket2, "still"));
            }

            // The flood is not held: all but the newest few connections have been closed by the daemon.
            var closed = 0;
            foreach (var socket in flood.Take(Idle - 64))
            {
                if (await IsClosedAsync(socket))
                {
                    closed++;
                }
            }

            _output.WriteLine($"{closed} of the oldest {Idle - 64} idle status connections closed by the daemon");
            Assert.Equal(Idle - 64, closed);
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // A request head larger than the limit is refused, not buffered.
        using var large = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await large.ConnectAsync(site.Status);
        var head = "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X-Filler: " + new string('x', 100) + "\r\n", 100)) + "\r\n";
        await large.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
        var answer = await ReadAllAsync(large);
        Assert.StartsWith("HTTP/1.1 431 ", answer, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task AStatusAddressThatCannotBeBoundStopsTheStartWithTheReason()
    {
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(Loopback.Client, 0));
        occupied.Listen();
        var port = Loopback.FreePort(Loopback.Bouncer);
        var rules = _directory.File("rules.conf");
        await File.WriteAllTextAsync(rules, $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {port} bounce to: {Loopback.TargetA} port = 9 protocol: tcp }}\n");
        using var daemon = DaemonProcess.Start(["-f", rules, "--status", occupied.LocalEndPoint!.ToString()!]);

        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Contains($"cannot serve --status on http://{occupied.LocalEndPoint}/", daemon.Log, StringComparison.Ordinal);
    }

    private static double Delta(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after[name, labels] - before[name, labels];

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Scrapes until <paramref name="condition"/> holds, for up to 15 seconds.</summary>
    private static async Task<PrometheusText> WaitForAsync(IPEndPoint status, Func<PrometheusText, bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var metrics = await StatusClient.MetricsAsync(status);
            if (condition(metrics))
            {
                return metrics;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"waited 15 s for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Connects and waits until the daemon closes the connection (a reset may come before the connect returns).</summary>
    private static async Task ConnectUntilClosedAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var socket = await Loopback.ConnectAsync(Loopback.Bouncer, port);
            while (await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with a reset: turned away too.
        }
    }

    /// <summary>True when the peer has closed (end of stream or reset) within 10 seconds.</summary>
    private static async Task<bool> IsClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var buffer = new byte[512];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string> ReadAllAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // Reset after the answer (the rest of the head was never read): what came before counts.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
