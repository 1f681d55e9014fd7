using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketSplice;

/// <summary>
/// The bare forwarding loop on <see cref="Socket"/>: accept, connect, copy both ways, pass each
/// FIN on as a shutdown. Nothing else, so that what it costs per connection is the cost of
/// System.Net.Sockets itself.
/// </summary>
internal static class Program
{
    private const int BufferSize = 16 * 1024;

    public static async Task<int> Main(string[] args)
    {
        // Completions run on the socket engine's epoll thread, as in the bouncer; the engine reads
        // the variable when the first socket starts async I/O.
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

        if (args.Length != 2 || !TryParsePort(args[0], out var listenPort) || !TryParsePort(args[1], out var targetPort))
        {
            await Console.Error.WriteLineAsync("usage: SocketSplice LISTEN_PORT TARGET_PORT  (both on 127.0.0.1, ports 1-65535)");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
        listener.Listen(4096);
        var target = new IPEndPoint(IPAddress.Loopback, targetPort);

        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync(stop.Token);
                _ = SpliceAsync(client, target);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, null, out port) && port is >= 1 and <= 65535;

    private static async Task SpliceAsync(Socket client, IPEndPoint target)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var pair = new SocketPair(client, server);
        try
        {
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(target);
        }
        catch (SocketException)
        {
            pair.Reset();
            return;
        }
        await Task.WhenAll(CopyAsync(client, server, pair), CopyAsync(server, client, pair));
        pair.Dispose();
    }

    /// <summary>
    /// Copies one direction until its FIN, which it passes on. A zero-byte receive waits for data
    /// first, so that an idle connection holds no buffer.
    /// </summary>
    private static async Task CopyAsync(Socket from, Socket to, SocketPair pair)
    {
        try
        {
            while (true)
            {
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    var received = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                    if (received == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    await to.SendAsync(buffer.AsMemory(0, received), SocketFlags.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            pair.Reset();
        }
    }

    /// <summary>The two sockets of one forwarded connection.</summary>
    private sealed class SocketPair(Socket client, Socket server) : IDisposable
    {
        private int _reset;

        /// <summary>Forwards an error as a reset: closes both sockets with SO_LINGER 0, once.</summary>
        public void Reset()
        {
            if (Interlocked.Exchange(ref _reset, 1) != 0)
            {
                return;
            }
            foreach (var socket in (ReadOnlySpan<Socket>)[client, server])
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already gone; disposing it is all that is left.
                }
                socket.Dispose();
            }
        }

        public void Dispose()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
