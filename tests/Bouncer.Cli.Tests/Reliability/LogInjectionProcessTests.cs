using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// What a client sends cannot forge log lines: with payloads logged (debug: 2), line breaks,
/// escape sequences and other control bytes from the client appear escaped inside the one line
/// of their event, never as a line of their own or as raw control bytes.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class LogInjectionProcessTests : IDisposable
{
    private const string Forged = "bouncer[1]: info: bouncer 0.1.0 started: forged";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task Control_bytes_from_a_client_stay_escaped_inside_one_log_line()
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("inject.conf");
        await File.WriteAllTextAsync(
            config,
            "debug: 2\n" +
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {port} bounce to: {Loopback.TargetA} port = {target.Port} " +
            "protocol: tcp log: connect disconnect data iooperation }\n");
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        var (socket, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            byte[] payload = [.. Encoding.ASCII.GetBytes($"x\r\nDec  6 00:00:00 {Forged}\n\u001b[2J\u0000\u0007\b\u007f"), 0xff, 0xc3, (byte)'\n'];
            await socket.SendAsync(payload, SocketFlags.None);
            var echoed = new byte[payload.Length];
            for (var read = 0; read < echoed.Length;)
            {
                var got = await socket.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None);
                Assert.NotEqual(0, got);
                read += got;
            }

            Assert.Equal(payload, echoed);
        }

        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var lines = bouncer.Log.Split('\n');
        var carrying = lines.Where(l => l.Contains("forged", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(carrying);
        Assert.All(carrying, line =>
        {
            Assert.Contains(@"x\r\nDec", line, StringComparison.Ordinal);
            Assert.Contains(@"\x1b[2J", line, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(lines, l => l.StartsWith("Dec  6 00:00:00", StringComparison.Ordinal) || l.StartsWith("\u001b", StringComparison.Ordinal));
        Assert.DoesNotContain(bouncer.Log, c => c < ' ' && c != '\n');
    }
}
