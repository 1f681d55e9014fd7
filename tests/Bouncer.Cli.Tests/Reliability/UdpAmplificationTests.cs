using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// UDP cannot be used to amplify: whatever a client sends, Bouncer sends the client no more bytes
/// than the target sent it, and the target no more than the client sent; datagrams a third party
/// sprays at the flow's outgoing socket never reach the client (udp.connectdst: yes).
/// Short: 2,000 datagrams; long: 50,000.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class UdpAmplificationTests(ITestOutputHelper output) : IDisposable
{
    private const int AnswersPerQuery = 3;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 300_000)]
    public async Task Bouncer_never_sends_more_than_the_other_side_sent()
    {
        var queries = ReliabilitySize.Pick(2_000, 50_000);
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(Loopback.TargetA, 0));
        var targetPort = ((IPEndPoint)target.LocalEndPoint!).Port;
        var port = Loopback.FreePort(Loopback.Bouncer, ProtocolType.Udp);
        var config = _directory.File("udp.conf");
        await File.WriteAllTextAsync(
            config,
            "udp.connectdst: yes\n" +
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {port} bounce to: {Loopback.TargetA} port = {targetPort} " +
            "protocol: udp log: error }\n");
        using var bouncer = DaemonProcess.Start(["-f", config]);
        await bouncer.WaitUntilServingAsync();

        using var stop = new CancellationTokenSource(ReliabilitySize.Deadline(120, 600));
        var amplifier = AmplifyAsync(target, stop.Token);
        using var client = TaggedUdpTarget.Client(Loopback.Bouncer, port);
        var received = ReceiveUntilQuietAsync(client, stop.Token);

        var random = new Random(20261206);
        var clientSent = 0L;
        var payload = new byte[1400];
        for (var i = 0; i < queries; i++)
        {
            var size = random.Next(1, payload.Length + 1);
            payload.AsSpan(0, size).Fill((byte)'C');
            clientSent += await client.SendAsync(payload.AsMemory(0, size), SocketFlags.None);
            if (i % 50 == 49)
            {
                // Paced so loopback's buffers do not overflow: what is measured is Bouncer, not drops.
                await Task.Delay(5);
            }
        }

        // A third party sprays the flow's outgoing socket, which it can learn from the target's side.
        var flowSocket = await amplifier.FlowEndPoint.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using (var thirdParty = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            thirdParty.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.7"), 0));
            for (var i = 0; i < 200; i++)
            {
                await thirdParty.SendToAsync(new byte[512], SocketFlags.None, flowSocket);
            }
        }

        var (clientReceived, foreign) = await received;
        await stop.CancelAsync();
        var (targetReceived, targetSent) = await amplifier.Counts;

        output.WriteLine(
            $"client sent {clientSent} B in {queries} datagrams; target received {targetReceived} B, sent {targetSent} B; client received {clientReceived} B; foreign datagrams at the client: {foreign}");
        Assert.InRange(targetReceived, 1, clientSent);
        Assert.InRange(clientReceived, 1, targetSent);
        Assert.Equal(0, foreign);
        Assert.False(bouncer.HasExited);
    }

    private sealed record Amplifier(TaskCompletionSource<IPEndPoint> FlowEndPoint, Task<(long Received, long Sent)> Counts);

    /// <summary>Answers each datagram with <see cref="AnswersPerQuery"/> full-size datagrams marked 'T', counting bytes both ways.</summary>
    private static Amplifier AmplifyAsync(Socket target, CancellationToken stop)
    {
        var flow = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<(long, long)> RunAsync()
        {
            var buffer = new byte[65536];
            var answer = new byte[1400];
            answer.AsSpan().Fill((byte)'T');
            long received = 0, sent = 0;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var result = await target.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop);
                    received += result.ReceivedBytes;
                    flow.TrySetResult((IPEndPoint)result.RemoteEndPoint);
                    for (var i = 0; i < AnswersPerQuery; i++)
                    {
                        sent += await target.SendToAsync(answer, SocketFlags.None, result.RemoteEndPoint, stop);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            return (received, sent);
        }

        return new Amplifier(flow, Task.Run(RunAsync));
    }

    /// <summary>Receives until nothing has come for two seconds; returns the bytes and the datagrams not from the target.</summary>
    private static async Task<(long Bytes, int Foreign)> ReceiveUntilQuietAsync(Socket client, CancellationToken stop)
    {
        var buffer = new byte[65536];
        long bytes = 0;
        var foreign = 0;
        while (!stop.IsCancellationRequested)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop);
            quiet.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                var read = await client.ReceiveAsync(buffer, SocketFlags.None, quiet.Token);
                bytes += read;
                foreign += read > 0 && buffer[0] == (byte)'T' ? 0 : 1;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (bytes, foreign);
    }
}
