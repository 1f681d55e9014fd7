using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// A download that a second SIGTERM cuts short ends with a reset at the client, never with a clean
/// end of stream that would pass for a complete transfer, and the log says why it was cut.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class TruncationProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task A_download_cut_short_by_a_second_sigterm_ends_with_a_reset()
    {
        // Far more than the client will read before the second signal.
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A", streamBytes: 16L << 30);
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("cut.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config, "--drain-timeout", "60"]);
        await bouncer.WaitUntilServingAsync();

        var (client, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (client)
        {
            Assert.Equal("A", name);
            var buffer = new byte[64 * 1024];
            await ReadAsync(client, buffer, 1 << 20);

            bouncer.Signal(DaemonProcess.SigTerm);
            await bouncer.WaitForLineAsync("draining 1 session");
            await ReadAsync(client, buffer, 1 << 20);
            bouncer.Signal(DaemonProcess.SigTerm);
            await bouncer.WaitForLineAsync("second stop request");

            // Read on until the stream ends: it must end in a reset, within a bounded number of reads.
            var ending = await ReadToEndAsync(client, buffer);
            Assert.Equal("reset", ending);
        }

        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("drain deadline passed", bouncer.Log, StringComparison.Ordinal);
    }

    private static async Task ReadAsync(Socket socket, byte[] buffer, long bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (var read = 0L; read < bytes;)
        {
            var got = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, got);
            read += got;
        }
    }

    /// <summary>"reset" or "end of stream", whichever comes first (at most 16 GiB of reads, 30 s).</summary>
    private static async Task<string> ReadToEndAsync(Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            for (var i = 0; i < 262_144; i++)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return "end of stream";
                }
            }

            return "still open";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
    }
}
