using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Forwarding;

/// <summary>
/// The real daemon under a 256-descriptor limit (design §9): more clients than it has descriptors
/// for must not break forwarding for good. Once they have left, new sessions work again, and the
/// log says so in a rate-limited line instead of a stack trace per client.
/// </summary>
[Trait("Category", "Process")]
public sealed class DescriptorLimitProcessTests : IDisposable
{
    private const int Limit = 256;
    private const int Crowd = 400;
    private const int Afterwards = 20;

    /// <summary>More than the pumps' first 4 KiB read, so every session also goes through a pipe (System.IO.Pipelines).</summary>
    private const int PayloadSize = 16 * 1024;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task After_more_clients_than_descriptors_have_left_every_new_session_works()
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("limit.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: DescriptorLimit.Of(Limit));
        await bouncer.WaitUntilServingAsync();

        var crowd = new List<Socket>();
        try
        {
            for (var i = 0; i < Crowd; i++)
            {
                try
                {
                    crowd.Add(await Loopback.ConnectAsync(Loopback.Bouncer, port));
                }
                catch (SocketException)
                {
                    // Accepted, then reset at once for want of a descriptor for its target, before
                    // the connect had even completed here (the native build is that quick).
                }
            }

            // Every client sends: the ones the daemon had descriptors for go through to the target
            // (and through a pipe), the others are closed. Bounded by one deadline for all.
            using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var payload = Payload();
            await Task.WhenAll(crowd.Select(socket => SendIgnoringFailureAsync(socket, payload, sending.Token)));
            await bouncer.WaitForLineAsync("local resource limit while ");
        }
        finally
        {
            foreach (var socket in crowd)
            {
                socket.Dispose();
            }
        }

        await WaitForNoLiveSessionAsync(bouncer);
        var worked = 0;
        for (var i = 0; i < Afterwards; i++)
        {
            worked += await RoundTripAsync(port) ? 1 : 0;
        }

        Assert.Equal(Afterwards, worked);
        Assert.False(bouncer.HasExited);
        var log = bouncer.Log;

        // Said once per interval for the whole process, not per client, and no stack traces.
        Assert.InRange(bouncer.Count("local resource limit while "), 1, 12);
        Assert.DoesNotContain("session failed unexpectedly", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\n   at ", log, StringComparison.Ordinal);
    }

    private static byte[] Payload()
    {
        var payload = new byte[PayloadSize];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        return payload;
    }

    private static async Task SendIgnoringFailureAsync(Socket socket, byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(payload, SocketFlags.None, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The daemon closed this one: it had no descriptor left for its target.
        }
    }

    /// <summary>Asks for a state dump until it shows no live session (bounded: 40 dumps).</summary>
    private static async Task WaitForNoLiveSessionAsync(DaemonProcess bouncer)
    {
        for (var dump = 1; dump <= 40; dump++)
        {
            bouncer.Signal(DaemonProcess.SigUsr1);
            var state = await bouncer.WaitForLineAsync("info: state: uptime", dump);
            if (state.Contains(" 0 live sessions", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        throw new TimeoutException($"sessions still live after the clients left:\n{bouncer.Log}");
    }

    /// <summary>A new session: the target's greeting, then the payload there and back, byte for byte.</summary>
    private static async Task<bool> RoundTripAsync(int port)
    {
        var (socket, name) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, port);
        using (socket)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var payload = Payload();
            await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
            var received = new byte[payload.Length];
            var offset = 0;
            while (offset < received.Length)
            {
                var read = await socket.ReceiveAsync(received.AsMemory(offset), SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                offset += read;
            }

            return name == "A" && received.AsSpan().SequenceEqual(payload);
        }
    }
}
