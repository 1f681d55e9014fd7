using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>
/// A UDP service on loopback that echoes every datagram to its sender and remembers the distinct
/// senders. Its loop uses the SocketAddress overloads, so it allocates nothing per datagram.
/// </summary>
internal sealed class UdpEchoTarget : IAsyncDisposable
{
    private static readonly IPEndPoint EndPointFactory = new(IPAddress.Any, 0);

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<SocketAddress, byte> _senders = new();
    private readonly Task _loop;

    public UdpEchoTarget(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            // Room for the bursts some tests send: the default buffer holds about 200 small datagrams.
            ReceiveBufferSize = 1 << 20,
        };
        _socket.Bind(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = EchoAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int DistinctSenders => _senders.Count;

    public IReadOnlyList<IPEndPoint> Senders => _senders.Keys.Select(a => (IPEndPoint)EndPointFactory.Create(a)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }

    private async Task EchoAsync()
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                from.Size = from.Buffer.Length;
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from);
                if (!_senders.ContainsKey(from))
                {
                    var key = new SocketAddress(from.Family, from.Size);
                    from.Buffer.Span[..from.Size].CopyTo(key.Buffer.Span);
                    _senders.TryAdd(key, 0);
                }

                await _socket.SendToAsync(buffer.AsMemory(0, received), SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // A client that went away; keep echoing for the others.
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or SocketException)
            {
                return;
            }
        }
    }
}
