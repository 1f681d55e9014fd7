using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Cli.Tests.Reliability;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Forwarding;

/// <summary>
/// The real daemon under a 256- or 257-descriptor limit (design §9; an odd limit leaves a session
/// with its client's descriptor but not its target's): more clients than it has descriptors
/// for, TCP or UDP, must not break forwarding for good. Once they have left, new sessions work
/// again, and the log says so in a rate-limited line instead of a stack trace per client.
/// </summary>
[Trait("Category", "Process")]
[Trait("Suite", "Reliability")]
public sealed class DescriptorLimitProcessTests : IDisposable
{
    private const int Limit = 256;
    private const int Crowd = 400;
    private const int Afterwards = 20;

    /// <summary>More than the pumps' first 4 KiB read, so every session also goes through a pipe (System.IO.Pipelines).</summary>
    private const int PayloadSize = 16 * 1024;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory(Timeout = 120_000)]
    [InlineData(Limit)]
    [InlineData(Limit + 1)]
    public async Task After_more_clients_than_descriptors_have_left_every_new_session_works(int limit)
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("limit.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: DescriptorLimit.Of(limit));
        await bouncer.WaitUntilServingAsync();
        var idle = DaemonMeasures.OpenDescriptors(bouncer);

        var crowd = new List<Socket>();
        try
        {
            await ConnectCrowdAsync(crowd, port);

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

        await WaitForDescriptorsBackAsync(bouncer, idle, port);
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

    [Fact(Timeout = 120_000)]
    public async Task After_more_udp_clients_than_descriptors_have_gone_quiet_every_new_flow_works()
    {
        await using var target = new TaggedUdpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer, ProtocolType.Udp);
        var config = _directory.File("limit-udp.conf");

        // Flows that go quiet end after a second, so the test need not wait long for the crowd's to end.
        await File.WriteAllTextAsync(
            config,
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {port} bounce to: {Loopback.TargetA} port = {target.Port} " +
            "protocol: udp timeout.io.udp: 1 log: error }\n");
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: DescriptorLimit.Of(Limit));
        await bouncer.WaitUntilServingAsync();
        var idle = DaemonMeasures.OpenDescriptors(bouncer);

        // Each client is a flow with its own outgoing socket: more of them than the daemon has descriptors.
        var crowd = new List<Socket>();
        try
        {
            for (var i = 0; i < Crowd; i++)
            {
                var client = TaggedUdpTarget.Client(Loopback.Bouncer, port);
                crowd.Add(client);
                await client.SendAsync(Encoding.ASCII.GetBytes($"crowd {i}"), SocketFlags.None);
            }

            await bouncer.WaitForLineAsync("local resource limit while opening the outgoing udp socket");
        }
        finally
        {
            foreach (var socket in crowd)
            {
                socket.Dispose();
            }
        }

        await WaitForDescriptorsBackAsync(bouncer, idle, port);
        var answers = new List<string?>();
        for (var i = 0; i < Afterwards; i++)
        {
            using var client = TaggedUdpTarget.Client(Loopback.Bouncer, port);
            answers.Add(await TaggedUdpTarget.AskAsync(client, $"after {i}"));
        }

        Assert.Equal(Enumerable.Range(0, Afterwards).Select(i => $"A:after {i}"), answers);
        Assert.False(bouncer.HasExited);
        var log = bouncer.Log;
        Assert.InRange(bouncer.Count("local resource limit while "), 1, 12);
        Assert.Contains(": local resource limit (Too many open files).", log, StringComparison.Ordinal);
        Assert.DoesNotContain("remote peer error (Too many open files)", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\n   at ", log, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Notices_held_back_when_the_daemon_stops_are_counted_in_its_last_lines()
    {
        await using var target = new TaggedTcpTarget(Loopback.TargetA, "A");
        var port = Loopback.FreePort(Loopback.Bouncer);
        var config = _directory.File("limit-stop.conf");
        await File.WriteAllTextAsync(config, Pass("tcp", Loopback.Bouncer, port, Loopback.TargetA, target.Port));
        using var bouncer = DaemonProcess.Start(["-f", config], wrap: DescriptorLimit.Of(Limit));
        await bouncer.WaitUntilServingAsync();

        // A crowd within one notice interval (10 s): one line is written, the rest held back.
        var crowd = new List<Socket>();
        try
        {
            await ConnectCrowdAsync(crowd, port);

            await bouncer.WaitForLineAsync("local resource limit while ");

            // The crowd still waiting in the listener's backlog: the accept loop retries after its
            // back-off (100 ms, TcpAcceptLoop.ResourceBackoff) and fails again, each a held-back notice.
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        finally
        {
            foreach (var socket in crowd)
            {
                socket.Dispose();
            }
        }

        // Stopped well within the interval: the held-back count can only come from the stop.
        bouncer.Signal(DaemonProcess.SigTerm);
        Assert.Equal(0, await bouncer.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var notices = bouncer.Log.Split('\n').Where(l => l.Contains("local resource limit while ", StringComparison.Ordinal)).ToArray();
        Assert.True(notices.Length is >= 2 and <= 12, bouncer.Log);
        Assert.Matches(@"\(\d+ more since the last notice\)$", notices[^1]);
    }

    /// <summary>Connects <see cref="Crowd"/> clients one after another, keeping those whose connect completed.</summary>
    private static async Task ConnectCrowdAsync(List<Socket> crowd, int port)
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

    /// <summary>
    /// Waits until the daemon holds no more descriptors than it did idle (a few more allowed) and
    /// no client of the crowd still waits in the listener's queue, that is until the crowd's
    /// sessions and flows have ended (bounded: 80 looks, 250 ms apart). A queued client would be
    /// accepted after the accept loop's back-off and could take the descriptors the next session
    /// needs. Read from /proc, so the wait asks nothing of a daemon that is at its limit.
    /// </summary>
    private static async Task WaitForDescriptorsBackAsync(DaemonProcess bouncer, int idle, int port)
    {
        for (var look = 0; look < 80; look++)
        {
            if (DaemonMeasures.OpenDescriptors(bouncer) <= idle + 4 && QueuedClients(Loopback.Bouncer, port) == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        throw new TimeoutException($"the daemon still holds {DaemonMeasures.OpenDescriptors(bouncer)} descriptors (idle: {idle}):\n{bouncer.Log}");
    }

    /// <summary>Connections waiting to be accepted on a TCP listener: its rx_queue in /proc/net/tcp.</summary>
    private static int QueuedClients(IPAddress address, int port)
    {
        var local = $"{BitConverter.ToUInt32(address.GetAddressBytes()):X8}:{port:X4}";
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[1] == local && fields[3] == "0A")
            {
                return Convert.ToInt32(fields[4].Split(':')[1], 16);
            }
        }

        return 0;
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
