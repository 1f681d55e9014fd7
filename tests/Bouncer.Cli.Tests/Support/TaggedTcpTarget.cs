using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A TCP target on loopback that greets each connection with its name and a newline, then echoes
/// what it receives, so a test knows which target a connection through Bouncer reached.
/// With <see cref="StreamBytes"/> set it sends that many bytes after the greeting and closes instead.
/// </summary>
internal sealed class TaggedTcpTarget : IAsyncDisposable
{
    private readonly LoopbackTcpServer _server;

    public TaggedTcpTarget(IPAddress address, string name, long streamBytes = 0)
    {
        Name = name;
        StreamBytes = streamBytes;
        _server = new LoopbackTcpServer(address, ServeAsync);
    }

    public string Name { get; }

    public int Port => _server.Port;

    public long StreamBytes { get; }

    /// <summary>Connects through <paramref name="port"/> of the bouncer and reads the greeting.</summary>
    public static async Task<(Socket Socket, string Name)> ReachAsync(IPAddress address, int port)
    {
        var socket = await Loopback.ConnectAsync(address, port);
        try
        {
            return (socket, await ReadLineAsync(socket));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="text"/> and reads the echo (within 10 seconds).</summary>
    public static async Task<string> EchoAsync(Socket socket, string text)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(text + "\n"), SocketFlags.None);
        return await ReadLineAsync(socket);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    public static async Task<string> ReadLineAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 1000)
        {
            var read = await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new IOException($"connection closed after '{line}'");
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }

        throw new IOException("line too long");
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(Name + "\n"), SocketFlags.None, cancellationToken);
                if (StreamBytes > 0)
                {
                    var block = new byte[64 * 1024];
                    for (var left = StreamBytes; left > 0;)
                    {
                        var sent = await socket.SendAsync(block.AsMemory(0, (int)Math.Min(block.Length, left)), SocketFlags.None, cancellationToken);
                        left -= sent;
                    }

                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                var buffer = new byte[16 * 1024];
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                    if (read == 0)
                    {
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client or the test went away.
            }
        }
    }
}
