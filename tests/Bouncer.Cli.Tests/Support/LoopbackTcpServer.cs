using System.Net;
using System.Net.Sockets;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A listener on a loopback address that hands each accepted connection to <c>serve</c> (which
/// owns and closes it) until disposed; disposing stops accepting and waits up to 10 seconds for
/// the connections being served.
/// </summary>
internal sealed class LoopbackTcpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public LoopbackTcpServer(IPAddress address, Func<Socket, CancellationToken, Task> serve, int backlog = 512)
    {
        _serve = serve;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(backlog);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync(_stop.Token);
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            lock (_connections)
            {
                // Finished connections are dropped, so a run of 100,000 sessions holds only the live ones.
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(_serve(accepted, cancellationToken));
            }
        }
    }
}
