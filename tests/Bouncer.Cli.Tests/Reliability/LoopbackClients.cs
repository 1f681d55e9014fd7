using System.Net;
using System.Net.Sockets;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Clients from many loopback addresses (127.0.1.0 to 127.0.64.255): each closed connection leaves
/// its port in TIME_WAIT for a minute, and one source address has only 28,000 ports, so a run of
/// 100,000 sessions spreads them over a few hundred addresses.
/// </summary>
internal static class LoopbackClients
{
    private const int Addresses = 64 * 256;

    /// <summary>The source address of client number <paramref name="index"/>.</summary>
    public static IPAddress Source(int index)
    {
        var n = index % Addresses;
        return new IPAddress(new byte[] { 127, 0, (byte)(1 + (n / 256)), (byte)(n % 256) });
    }

    /// <summary>A TCP connection from <see cref="Source"/>(<paramref name="index"/>).</summary>
    public static async Task<Socket> ConnectAsync(int index, IPAddress address, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(Source(index), 0));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
