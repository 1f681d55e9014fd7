using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>A UDP target on loopback that answers every datagram with its name, a colon and the datagram.</summary>
internal sealed class TaggedUdpTarget : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TaggedUdpTarget(IPAddress address, string name)
    {
        Name = name;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _loop = AnswerAsync(_stop.Token);
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>Sends <paramref name="text"/> on <paramref name="client"/> (connected to the bouncer) and returns the answer, or null after 2 seconds of silence.</summary>
    public static async Task<string?> AskAsync(Socket client, string text)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);
        var buffer = new byte[1500];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return null; // ICMP port unreachable: nothing listens there any more.
        }
    }

    public static Socket Client(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(Loopback.Client, 0));
        socket.Connect(new IPEndPoint(address, port));
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AnswerAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1500];
        var prefix = Encoding.ASCII.GetBytes(Name + ":");
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                var answer = prefix.Concat(buffer.Take(received.ReceivedBytes)).ToArray();
                await _socket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint, cancellationToken);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (cancellationToken.IsCancellationRequested || e is ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }
}
