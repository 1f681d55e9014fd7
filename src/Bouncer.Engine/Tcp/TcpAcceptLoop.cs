using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Net;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// The accept loop of one TCP listener. Each accepted connection becomes a <see cref="TcpSession"/>
/// owned by the engine's <see cref="SessionTracker"/>; the loop itself only accepts, so a slow
/// name lookup or connect never holds up the next client.
/// </summary>
internal sealed class TcpAcceptLoop : IListenerService
{
    private static readonly TimeSpan ResourceBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly EngineServices _services;
    private readonly TcpConnector _connector;
    private readonly IPEndPoint? _boundLocal;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public TcpAcceptLoop(ListenerKey key, Socket socket, EngineServices services, TcpConnector connector)
    {
        Key = key;
        _socket = socket;
        _services = services;
        _connector = connector;

        // Every connection of a listener bound to one address reaches that address, so a session
        // need not ask the kernel for it (getsockname); a wildcard's connections each reach one of
        // the host's addresses.
        _boundLocal = key.Endpoint.IsWildcard ? null : key.Endpoint.ToIPEndPoint();
    }

    public ListenerKey Key { get; }

    public void Start() => _loop = AcceptAsync(_stop.Token);

    public async ValueTask StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                var failure = SocketErrorClassifier.Classify(exception);
                if (failure.Kind == FailureKind.Aborted || cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                if (failure.Kind == FailureKind.Reset)
                {
                    continue; // The client gave up before we accepted it.
                }

                // Out of descriptors or buffers: say so (once in a while) and give the system a moment.
                _services.Warnings.Warning($"accept:{Key}", $"accept on tcp {Key.Endpoint} failed: {failure.Detail}");
                await Task.Delay(ResourceBackoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            _services.Tracker.Run(new TcpSession(_services, _connector, Key, accepted, _boundLocal));
        }
    }
}
