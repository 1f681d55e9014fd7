using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Report;

/// <summary>
/// Real traffic through a real <c>bouncer</c> on loopback, its log rotated (renamed, HUP, gzip) half
/// way, then <c>bouncer report</c> over the rotation and the live file: the report must count
/// exactly what the test sent, per rule and per client address.
/// </summary>
public sealed class ReportProcessTests : IDisposable
{
    private static readonly IPAddress[] Clients = [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.11"), IPAddress.Parse("127.0.0.12"), IPAddress.Parse("127.0.0.13")];
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory(Timeout = 120_000)]
    [InlineData("text")]
    [InlineData("json")]
    public async Task ReportCountsWhatTheClientsSent(string layout)
    {
        await using var web = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var dns = new TaggedUdpTarget(Loopback.TargetA, "U");
        var webPort = Loopback.FreePort(Loopback.Bouncer);
        var sshPort = Loopback.FreePort(Loopback.Bouncer);
        var dnsPort = Loopback.FreePort(Loopback.Bouncer, ProtocolType.Udp);
        var log = _directory.File("bouncer.log");
        var config = _directory.File("bouncer.conf");
        File.WriteAllText(config,
            $"logoutput: stderr {log}\n" +
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {webPort} bounce to: {Loopback.TargetA} port = {web.Port} protocol: tcp session.max: 2 log: connect disconnect error }}\n" +
            $"client block {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {sshPort} protocol: tcp log: connect }}\n" +
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {dnsPort} bounce to: {Loopback.TargetA} port = {dns.Port} protocol: udp log: disconnect }}\n");
        using var bouncer = DaemonProcess.Start(["-f", config, "--log-format", layout]);
        await bouncer.WaitForLineAsync(layout == "json" ? "\"message\":\"bouncer " : "info: bouncer ");
        try
        {
            await SendAndReportAsync(bouncer, log, webPort, sshPort, dnsPort, web.Port, dns.Port);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}; the daemon's log:\n{bouncer.Log}", e);
        }
    }

    private static async Task SendAndReportAsync(DaemonProcess bouncer, string log, int webPort, int sshPort, int dnsPort, int webTargetPort, int dnsTargetPort)
    {
        var sent = new Sent();

        // Before the rotation: two sessions from .1, one of them still open when the log is rotated.
        await sent.EchoSessionAsync(Clients[0], webPort, "hello one");
        var straddling = await ConnectAsync(Clients[0], webPort);
        Assert.Equal("A", await ReadLineAsync(straddling));
        await RefuseAsync(bouncer, Clients[0], sshPort, "block(2)", 1);

        File.Move(log, log + ".1");
        bouncer.Signal(DaemonProcess.SigHup);
        await bouncer.WaitForLineAsync("reloaded ");
        Gzip(log + ".1");

        // After it: the straddling session ends, more sessions from .1 and .11, a limit refusal for .12.
        Assert.Equal("across the rotation", await TaggedTcpTarget.EchoAsync(straddling, "across the rotation"));
        sent.Add(Clients[0], "across the rotation");
        straddling.Dispose();

        // session.max is 2 and counts live sessions: each session has ended (its line is written,
        // its place freed) before the next, and the five above before taking both places.
        await bouncer.WaitForLineAsync("local client closed", count: 2);
        await sent.EchoSessionAsync(Clients[0], webPort, "hello two");
        await bouncer.WaitForLineAsync("local client closed", count: 3);
        await sent.EchoSessionAsync(Clients[1], webPort, "from eleven");
        await bouncer.WaitForLineAsync("local client closed", count: 4);
        await sent.EchoSessionAsync(Clients[1], webPort, "from eleven again");
        await bouncer.WaitForLineAsync("local client closed", count: 5);
        using (var first = await ConnectAsync(Clients[2], webPort))
        using (var second = await ConnectAsync(Clients[2], webPort))
        {
            Assert.Equal("A", await ReadLineAsync(first));
            Assert.Equal("A", await ReadLineAsync(second));
            sent.Add(Clients[2], "");
            sent.Add(Clients[2], "");
            await RefuseAsync(bouncer, Clients[2], webPort, "session limit reached", 1);
        }

        await RefuseAsync(bouncer, Clients[3], sshPort, "block(2)", 2);
        var dnsSent = new Sent();
        foreach (var (client, queries) in new[] { (Clients[0], new[] { "q1", "query2", "q3" }), (Clients[1], new[] { "only one" }) })
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(client, 0));
            udp.Connect(new IPEndPoint(Loopback.Bouncer, dnsPort));
            foreach (var query in queries)
            {
                Assert.Equal("U:" + query, await TaggedUdpTarget.AskAsync(udp, query));
                dnsSent.AddDatagram(client, query, "U:" + query);
            }
        }

        // Stopping ends the UDP flows (administrative termination) and writes their end lines.
        await bouncer.WaitForLineAsync("local client closed", count: 7);
        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var (status, stdout, stderr) = await BouncerProcess.RunAsync("report", "--format", "json", log, log + ".1.gz");

        Assert.True(status == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        var rules = report.RootElement.GetProperty("rules");
        Assert.Equal(3, rules.GetArrayLength());
        AssertRule(rules[0], "pass(1)", "tcp", $"127.0.0.2.{webPort}", $"127.0.0.3.{webTargetPort}", sessions: 7, refused: 1, sent,
            """{"local client closed":7,"session limit reached":1}""");
        AssertRule(rules[1], "block(2)", "tcp", $"127.0.0.2.{sshPort}", null, sessions: 0, refused: 2, new Sent(Clients[0], Clients[3]), """{"blocked":2}""");
        AssertRule(rules[2], "pass(3)", "udp", $"127.0.0.2.{dnsPort}", $"127.0.0.3.{dnsTargetPort}", sessions: 2, refused: 0, dnsSent,
            """{"administrative termination":2}""");
        Assert.Equal(0, report.RootElement.GetProperty("skipped_lines").GetInt64());

        // Top clients of the TCP rule: .1 with 3 sessions, .11 and .12 with 2 each (.12 also refused once).
        var top = rules[0].GetProperty("top_clients").EnumerateArray()
            .Select(c => $"{c.GetProperty("address").GetString()} {c.GetProperty("sessions").GetInt64()} {c.GetProperty("refused").GetInt64()}");
        Assert.Equal(["127.0.0.1 3 0", "127.0.0.12 2 1", "127.0.0.11 2 0"], top);
    }

    private static void AssertRule(JsonElement rule, string label, string protocol, string listen, string? target, long sessions, long refused, Sent sent, string endReasons)
    {
        Assert.Equal(label, rule.GetProperty("rule").GetString());
        Assert.Equal(protocol, rule.GetProperty("protocol").GetString());
        Assert.Equal(listen, rule.GetProperty("listen").GetString());
        Assert.Equal(target, rule.GetProperty("target").GetString());
        Assert.Equal(sessions, rule.GetProperty("sessions").GetInt64());
        Assert.Equal(0, rule.GetProperty("open").GetInt64());
        Assert.Equal(refused, rule.GetProperty("refused").GetInt64());
        Assert.Equal(sent.ClientCount, rule.GetProperty("clients").GetInt64());
        Assert.Equal(sent.FromClients, rule.GetProperty("bytes_from_clients").GetInt64());
        Assert.Equal(sent.ToClients, rule.GetProperty("bytes_to_clients").GetInt64());
        Assert.Equal(endReasons, JsonSerializer.Serialize(rule.GetProperty("end_reasons")));
    }

    /// <summary>Waits for the daemon to log the <paramref name="count"/>th line with <paramref name="logged"/> after a refused connection.</summary>
    private static async Task RefuseAsync(DaemonProcess bouncer, IPAddress client, int port, string logged, int count)
    {
        try
        {
            using var socket = await ConnectAsync(client, port);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The reset that refuses the client may come before the connect has been seen to complete.
        }

        await bouncer.WaitForLineAsync(logged, count);
    }

    private static void Gzip(string path)
    {
        using (var source = File.OpenRead(path))
        using (var target = File.Create(path + ".gz"))
        using (var gzip = new GZipStream(target, CompressionLevel.Fastest))
        {
            source.CopyTo(gzip);
        }

        File.Delete(path);
    }

    private static async Task<Socket> ConnectAsync(IPAddress client, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(client, 0));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(Loopback.Bouncer, port), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 1000 && await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    /// <summary>What the test sent through one rule: bytes each way and the client addresses.</summary>
    private sealed class Sent
    {
        private readonly HashSet<IPAddress> _clients = [];

        public Sent(params IPAddress[] clients)
        {
            _clients.UnionWith(clients);
        }

        public long FromClients { get; private set; }

        public long ToClients { get; private set; }

        public int ClientCount => _clients.Count;

        /// <summary>A TCP session that reads the target's greeting ("A\n"), and echoes <paramref name="text"/> and a newline when it is not empty.</summary>
        public void Add(IPAddress client, string text)
        {
            _clients.Add(client);
            var echoed = text.Length == 0 ? 0 : text.Length + 1;
            FromClients += echoed;
            ToClients += 2 + echoed;
        }

        public void AddDatagram(IPAddress client, string query, string answer)
        {
            _clients.Add(client);
            FromClients += query.Length;
            ToClients += answer.Length;
        }

        public async Task EchoSessionAsync(IPAddress client, int port, string text)
        {
            using var socket = await ConnectAsync(client, port);
            Assert.Equal("A", await ReadLineAsync(socket));
            Assert.Equal(text, await TaggedTcpTarget.EchoAsync(socket, text));
            Add(client, text);
        }
    }
}
