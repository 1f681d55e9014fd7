using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>A UDP client socket on loopback whose every receive has a timeout.</summary>
internal sealed class UdpTestClient : IDisposable
{
    public static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(5);

    private readonly byte[] _buffer = new byte[65536];

    public UdpTestClient(IPAddress address)
    {
        Socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            // Room for the bursts some tests send: the default buffer holds about 200 small datagrams.
            ReceiveBufferSize = 1 << 20,
        };
        Socket.Bind(new IPEndPoint(address, 0));
        LocalEndPoint = (IPEndPoint)Socket.LocalEndPoint!;
    }

    public Socket Socket { get; }

    public IPEndPoint LocalEndPoint { get; }

    public Task SendAsync(ReadOnlyMemory<byte> payload, IPEndPoint to) =>
        Socket.SendToAsync(payload, SocketFlags.None, to).AsTask();

    /// <summary>The next datagram and its sender; throws <see cref="OperationCanceledException"/> after <paramref name="timeout"/>.</summary>
    public async Task<(byte[] Payload, IPEndPoint From)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? ReceiveTimeout);
        var result = await Socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(AnyOf(Socket.AddressFamily), 0), cancel.Token);
        return (_buffer.AsSpan(0, result.ReceivedBytes).ToArray(), (IPEndPoint)result.RemoteEndPoint);
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to an echo service and waits for it to come back, sending again
    /// a few times because UDP may drop a datagram. A late reply to an earlier request is skipped;
    /// a relay that altered payloads would make this time out.
    /// </summary>
    public async Task<IPEndPoint> EchoAsync(byte[] payload, IPEndPoint to, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            await SendAsync(payload, to);
            var deadline = DateTime.UtcNow + (attempt < attempts ? TimeSpan.FromSeconds(2) : ReceiveTimeout);
            try
            {
                while (true)
                {
                    var (reply, from) = await ReceiveAsync(Max(deadline - DateTime.UtcNow, TimeSpan.FromMilliseconds(1)));
                    if (reply.AsSpan().SequenceEqual(payload))
                    {
                        return from;
                    }
                }
            }
            catch (OperationCanceledException) when (attempt < attempts)
            {
                // Lost on the way; ask again.
            }
        }
    }

    /// <summary>
    /// Whether a datagram is waiting to be read. Asked after a later exchange has made its round
    /// trip, it says whether anything reached this client before that, without a fixed wait.
    /// </summary>
    public bool HasReceivedAnything => Socket.Poll(0, SelectMode.SelectRead);

    public void Dispose() => Socket.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static IPAddress AnyOf(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
}
