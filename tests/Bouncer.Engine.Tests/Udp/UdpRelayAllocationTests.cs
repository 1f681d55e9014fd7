using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>Runs alone: it measures process-wide allocations, which other tests running at the same time would add to.</summary>
[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;

[Collection(nameof(AllocationMeasurement))]
public sealed class UdpRelayAllocationTests
{
    /// <summary>
    /// Bytes allowed per relayed datagram on average. The relay path itself allocates nothing; the
    /// bound leaves room for the process's background work (timers, the sweeper, the test runner)
    /// spread over the measured datagrams, and fails at once if anything per datagram allocates
    /// (a state machine box, an EndPoint, an event or a buffer is 64 bytes or far more).
    /// Measured: about 0.3 bytes per datagram in Debug and 3 to 7 in Release, where the rest is a
    /// rare 64 KiB array the shared buffer pool still creates while reply buffers migrate between
    /// thread-pool threads (a few per run, not per datagram).
    /// </summary>
    private const double AllowedBytesPerDatagram = 16;

    // Long enough for tiered compilation to settle and the buffer pool to fill; measured from a
    // cold start, a short warm-up still counts those one-off allocations (about 200 bytes per datagram).
    private const int WarmUpRoundTrips = 10_000;
    private const int MeasuredRoundTrips = 10_000;

    private readonly ITestOutputHelper _output;

    public UdpRelayAllocationTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact(Timeout = 60_000)]
    public async Task The_steady_state_path_allocates_nothing_per_datagram()
    {
        await using var target = new UdpEchoTarget(IPAddress.Parse("127.0.0.4"));
        await using var relay = UdpRelayHarness.Start(RuleBuilder.Table(UdpRules.Pass(1, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), target.EndPoint)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5_000 };
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0));
        var listenAt = relay.ListenAt().Serialize();

        var allocated = await Task.Run(() =>
        {
            RoundTrips(client, listenAt, WarmUpRoundTrips);
            var before = GC.GetTotalAllocatedBytes(precise: true);
            RoundTrips(client, listenAt, MeasuredRoundTrips);
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        });

        // Each round trip is two relayed datagrams: client to target and target to client.
        var perDatagram = (double)allocated / (2 * MeasuredRoundTrips);
        _output.WriteLine($"{allocated} bytes allocated in the process over {2 * MeasuredRoundTrips} relayed datagrams: {perDatagram:F2} bytes per datagram");
        Assert.Equal(1, relay.Relay.FlowCount);
        Assert.True(perDatagram < AllowedBytesPerDatagram, $"{perDatagram:F2} bytes per datagram");
    }

    /// <summary>Synchronous, SocketAddress-based client calls: the client side allocates nothing either.</summary>
    private static void RoundTrips(Socket client, SocketAddress listenAt, int count)
    {
        var payload = new byte[64];
        var reply = new byte[128];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        for (var i = 0; i < count; i++)
        {
            payload[0] = (byte)i;
            client.SendTo(payload, SocketFlags.None, listenAt);
            from.Size = from.Buffer.Length;
            var received = client.ReceiveFrom(reply, SocketFlags.None, from);
            if (received != payload.Length || reply[0] != payload[0])
            {
                throw new InvalidOperationException($"round trip {i}: got {received} bytes starting {reply[0]}");
            }
        }
    }
}
