using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The socket of a wildcard UDP listener (0.0.0.0 or ::). Replies must leave from the address the
/// client sent to, and a socket bound to a wildcard cannot choose that from .NET: Linux needs
/// sendmsg with IP_PKTINFO ancillary data, which <see cref="Socket"/> does not expose. So this socket
/// only learns, through IP_PKTINFO on receive, which local address a new datagram reached, and then
/// binds an address-specific socket (<see cref="UdpListenSocket"/>) on the same port for that address.
/// The kernel delivers to the most specific binding, so from then on that address's datagrams arrive
/// on the specific socket and its replies leave with the right source address and port.
/// </summary>
/// <remarks>
/// Binding one socket per interface address up front was the alternative; it misses addresses that
/// reach the host without being listed on an interface (all of 127.0.0.0/8 on lo, addresses added
/// after start), while splitting on first contact covers exactly the addresses clients use.
/// Both sockets of a pair need SO_REUSEADDR (see <see cref="UdpSockets.CreateAddressListener"/>).
/// </remarks>
internal sealed class UdpWildcardSocket : IDisposable
{
    /// <summary>More local addresses than this on one wildcard listener are not split off (and their datagrams dropped, with a notice).</summary>
    internal const int MaxAddressSockets = 1024;

    private readonly Lock _lock = new();
    private readonly Socket _socket;
    private readonly UdpRelay _relay;
    private readonly int _matchPort;
    private readonly Dictionary<IPAddress, UdpListenSocket> _byAddress = [];

    public UdpWildcardSocket(Socket socket, UdpRelay relay, int matchPort)
    {
        _socket = socket;
        _relay = relay;
        _matchPort = matchPort;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Receives datagrams to addresses that have no specific socket yet (the first few per address).</summary>
    public async Task ReceiveLoopAsync(CancellationToken stopping)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(UdpSockets.DatagramBufferSize, pinned: true);
        EndPoint anySender = new IPEndPoint(UdpSockets.AnyOf(_socket.AddressFamily), 0);
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult result;
            try
            {
                result = await _socket.ReceiveMessageFromAsync(buffer.AsMemory(), SocketFlags.None, anySender).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (UdpSocketErrors.ListenerSurvives(e, _relay.Services.Warnings, LocalEndPoint))
                {
                    continue;
                }

                return;
            }

            var specific = GetOrBind(result.PacketInformation);
            if (specific is null)
            {
                continue;
            }

            var sender = ((IPEndPoint)result.RemoteEndPoint).Serialize();
            await specific.DispatchAsync(buffer.AsMemory(0, result.ReceivedBytes), sender, stopping).ConfigureAwait(false);
        }
    }

    public void Dispose() => _socket.Dispose();

    private UdpListenSocket? GetOrBind(IPPacketInformation packet)
    {
        var address = packet.Address;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv6LinkLocal)
        {
            address = new IPAddress(address.GetAddressBytes(), packet.Interface);
        }

        lock (_lock)
        {
            if (_byAddress.TryGetValue(address, out var existing))
            {
                return existing;
            }

            if (_byAddress.Count >= MaxAddressSockets)
            {
                Notice("addresses", $"udp {LocalEndPoint}: more than {MaxAddressSockets} local addresses in use, datagrams to {address} are dropped");
                return null;
            }

            try
            {
                var socket = UdpSockets.CreateAddressListener(new IPEndPoint(address, LocalEndPoint.Port));
                UdpListenSocket specific;
                try
                {
                    // Its wait joins an epoll loop, which can fail like any registration.
                    specific = new UdpListenSocket(socket, _relay, _matchPort);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                _byAddress.Add(address, specific);
                _relay.AddSocket(specific);
                return specific;
            }
            catch (SocketException e)
            {
                Notice("bind", $"udp {LocalEndPoint}: cannot bind {address} to reply from it, its datagrams are dropped: {e.Message}");
                return null;
            }
        }
    }

    private void Notice(string what, string message) => _relay.Services.Warnings.Warning($"udp:{what}:{LocalEndPoint}", message);
}
