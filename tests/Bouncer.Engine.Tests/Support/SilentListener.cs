using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tests.Support;

/// <summary>
/// A loopback listener whose accept queue is full: the kernel drops further SYNs, so a connect to
/// it stays under way until its caller gives up.
/// </summary>
internal sealed class SilentListener : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private SilentListener(Socket listener) => _listener = listener;

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public static async Task<SilentListener> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(TestNet.NextAddress(), 0));
        listener.Listen(0);
        var silent = new SilentListener(listener);
        for (var i = 0; i < 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            silent._fillers.Add(filler);
            using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                await filler.ConnectAsync(silent.EndPoint, attempt.Token);
            }
            catch (OperationCanceledException)
            {
                break; // The queue is full now.
            }
        }

        return silent;
    }

    public void Dispose()
    {
        _fillers.ForEach(filler => filler.Dispose());
        _listener.Dispose();
    }
}
