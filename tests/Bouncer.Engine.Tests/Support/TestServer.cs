using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tests.Support;

/// <summary>A target on loopback that runs <c>handler</c> for every connection it accepts.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly ConcurrentQueue<IPEndPoint> _remotes = new();
    private readonly Task _acceptLoop;

    public TestServer(IPAddress address, Func<Socket, CancellationToken, Task> handler)
    {
        _handler = handler;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Where connections came from (the bouncer's outgoing side).</summary>
    public IReadOnlyList<IPEndPoint> Remotes => [.. _remotes];

    public int Accepted => _remotes.Count;

    /// <summary>Echoes everything back; half-closes when the client does.</summary>
    public static TestServer Echo(IPAddress? address = null) => new(address ?? TestNet.NextAddress(), async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await TestNet.SendAllAsync(socket, buffer.AsMemory(0, read), ct);
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        await Task.WhenAll(_connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _remotes.Enqueue((IPEndPoint)socket.RemoteEndPoint!);
            _connections.Add(RunAsync(socket));
        }
    }

    private async Task RunAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                await _handler(socket, _stop.Token);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The test decides what a failure means; the server just stops.
            }
        }
    }
}
