using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Diagnostics;
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
/// <remarks>
/// Out of descriptors (EMFILE, ENFILE, or a descriptor from the engine's reserve,
/// <see cref="DescriptorHeadroom"/>) the listening socket stays readable, so retrying at once
/// would spin. The loop backs off for <see cref="ResourceBackoff"/> and tries again; the other
/// waiting clients stay in the kernel's listen queue and are served once sessions end and free
/// descriptors. Only a connection that was accepted into the reserve is closed at once. The
/// classic alternative, a spare descriptor to accept and close every excess client, was not
/// taken: it turns away clients that a moment later could have been served, and another thread
/// can take the descriptor it frees before the accept does. A client that will not wait has its
/// own connect timeout.
/// </remarks>
internal sealed class TcpAcceptLoop : IListenerService
{
    /// <summary>Ten tries a second per listener: no spinning, and service resumes within a tenth of a second.</summary>
    public static readonly TimeSpan ResourceBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly EngineServices _services;
    private readonly TcpConnector _connector;
    private readonly IPEndPoint? _boundLocal;
    private readonly TcpAcceptor _acceptor;
    private readonly Func<TcpAcceptor, int, CancellationToken, ValueTask<TcpChannel>> _accept;
    private readonly Func<TimeSpan, CancellationToken, Task> _pause;
    private readonly CancellationTokenSource _stop = new();
    private Task[] _loops = [];

    /// <param name="accept">Tests replace the accept call, to make it fail as the system would.</param>
    /// <param name="pause">Tests replace the back-off wait, to see that every failure waits.</param>
    public TcpAcceptLoop(
        ListenerKey key,
        Socket socket,
        EngineServices services,
        TcpConnector connector,
        Func<TcpAcceptor, int, CancellationToken, ValueTask<TcpChannel>>? accept = null,
        Func<TimeSpan, CancellationToken, Task>? pause = null)
    {
        Key = key;
        _socket = socket;
        _services = services;
        _connector = connector;
        _acceptor = services.Transport.Listen(socket);
        _accept = accept ?? (static (acceptor, lane, cancellationToken) => acceptor.AcceptAsync(lane, cancellationToken));
        _pause = pause ?? ((delay, cancellationToken) => Task.Delay(delay, services.Time, cancellationToken));

        // Every connection of a listener bound to one address reaches that address, so a session
        // need not ask the kernel for it (getsockname); a wildcard's connections each reach one of
        // the host's addresses.
        _boundLocal = key.Endpoint.IsWildcard ? null : key.Endpoint.ToIPEndPoint();
    }

    public ListenerKey Key { get; }

    /// <summary>One accept loop per lane of the transport (one per waiting thread on the epoll transport).</summary>
    public void Start() => _loops = [.. Enumerable.Range(0, _acceptor.Lanes).Select(lane => AcceptAsync(lane, _stop.Token))];

    public async ValueTask StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _acceptor.Dispose();
        _socket.Dispose();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync(int lane, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpChannel accepted;
            try
            {
                accepted = await _accept(_acceptor, lane, cancellationToken).ConfigureAwait(false);
                _services.Descriptors.Check(accepted.Handle, accepted);
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

                if (failure.Kind == FailureKind.ResourceLimit)
                {
                    ResourceShortageNotice.Report(_services.Warnings, $"accepting on tcp {Key.Endpoint}", failure.Detail);
                }
                else
                {
                    _services.Warnings.Warning($"accept:{Key}", $"accept on tcp {Key.Endpoint} failed: {failure.Detail}");
                }

                // Whatever it was, the listener stays; retrying at once could spin on it.
                await _pause(ResourceBackoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
#pragma warning disable CA1031 // A lane that ended on a bug would stop accepting without a word: say so and go on.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _services.Warnings.Warning($"accept:{Key}:unexpected", $"accept on tcp {Key.Endpoint} failed unexpectedly, retrying: {exception}");
                await _pause(ResourceBackoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            _services.Tracker.Run(new TcpSession(_services, _connector, Key, accepted, _boundLocal));
        }
    }
}
