using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using static Bouncer.Cli.Tests.Lifecycle.RuleFileText;

namespace Bouncer.Cli.Tests.Forwarding;

/// <summary>The real daemon under a UDP flood: one listener's flood must not starve the others.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class UdpFairnessProcessTests : IDisposable
{
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(4);

    private static readonly Dictionary<string, string> OneIoThread = new() { ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1" };

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task A_flooded_listener_leaves_room_for_the_clients_of_another()
    {
        await using var answering = new TaggedUdpTarget(Loopback.TargetA, "A");
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(Loopback.TargetB, 0));
        var floodedPort = Loopback.FreePort(Loopback.Bouncer, ProtocolType.Udp);
        var quietPort = Loopback.FreePort(Loopback.Bouncer, ProtocolType.Udp);
        var config = _directory.File("fair.conf");
        File.WriteAllText(
            config,
            Pass("udp", Loopback.Bouncer, floodedPort, Loopback.TargetB, ((IPEndPoint)sink.LocalEndPoint!).Port) +
            Pass("udp", Loopback.Bouncer, quietPort, Loopback.TargetA, answering.Port));
        // One I/O thread, so both listeners share it whatever the machine: the case where a flood could starve the other.
        using var bouncer = DaemonProcess.Start(["-f", config], environment: OneIoThread);
        await bouncer.WaitUntilServingAsync();
        using var quiet = TaggedUdpTarget.Client(Loopback.Bouncer, quietPort);
        Assert.Equal("A:before", await TaggedUdpTarget.AskAsync(quiet, "before"));

        // The sink never reads: the daemon relays the flood as fast as it can and the kernel drops it there.
        using var stopFlood = new CancellationTokenSource(FloodTime);
        var underway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var floods = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Flood(Loopback.Bouncer, floodedPort, underway, stopFlood.Token))).ToList();
        await underway.Task.WaitAsync(FloodTime);
        var answers = new List<string?>();
        for (var i = 0; i < 10 && !stopFlood.IsCancellationRequested; i++)
        {
            answers.Add(await TaggedUdpTarget.AskAsync(quiet, $"during {i}"));
        }

        var sent = (await Task.WhenAll(floods)).Sum();

        Assert.True(sent > 10_000, $"the flood sent only {sent} datagrams");
        Assert.NotEmpty(answers);
        Assert.All(answers, (answer, i) => Assert.Equal($"A:during {i}", answer));
    }

    /// <summary>
    /// Sends one-byte datagrams as fast as one socket can until cancelled (bounded by count too);
    /// returns how many. <paramref name="underway"/> is set once a thousand are sent.
    /// </summary>
    private static long Flood(IPAddress address, int port, TaskCompletionSource underway, CancellationToken stop)
    {
        const long MaxDatagrams = 20_000_000;
        using var socket = TaggedUdpTarget.Client(address, port);
        var payload = new byte[1];
        long sent = 0;
        while (!stop.IsCancellationRequested && sent < MaxDatagrams)
        {
            socket.Send(payload);
            if (++sent == 1_000)
            {
                underway.TrySetResult();
            }
        }

        return sent;
    }
}
