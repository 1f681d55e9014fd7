using System.Net;
using System.Net.Sockets;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Loopback addresses, free ports and socket helpers. Only 127.0.0.0/8 and ::1 are ever used.</summary>
internal static class TestNet
{
    private static int _next = Random.Shared.Next(0, 40_000);

    /// <summary>A loopback address (127.0.x.y) no other test of this run uses.</summary>
    public static IPAddress NextAddress()
    {
        var n = Interlocked.Increment(ref _next) % 60_000;
        return new IPAddress([127, (byte)(1 + (n / 250)), (byte)(1 + (n % 250)), 1]);
    }

    /// <summary>A port that is free on <paramref name="address"/> right now.</summary>
    public static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public static IPEndPoint FreeEndPoint(IPAddress? address = null)
    {
        address ??= NextAddress();
        return new IPEndPoint(address, FreePort(address));
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint remote, IPEndPoint? source = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(source);
            }

            await socket.ConnectAsync(remote, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The byte at <paramref name="offset"/> of a test stream: detects loss, duplication and reordering.</summary>
    public static byte PatternAt(long offset) => (byte)((offset % 251) ^ (offset >> 16));

    public static async Task SendPatternAsync(Socket socket, long length, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long offset = 0;
        while (offset < length)
        {
            var count = (int)Math.Min(buffer.Length, length - offset);
            for (var i = 0; i < count; i++)
            {
                buffer[i] = PatternAt(offset + i);
            }

            await SendAllAsync(socket, buffer.AsMemory(0, count), cancellationToken);
            offset += count;
        }
    }

    /// <summary>Reads to end of stream, checking every byte against the pattern; returns the byte count.</summary>
    public static async Task<long> ReceivePatternAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long offset = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return offset;
            }

            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != PatternAt(offset + i))
                {
                    throw new InvalidDataException($"byte {offset + i} is {buffer[i]}, expected {PatternAt(offset + i)}");
                }
            }

            offset += read;
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Reads until end of stream; returns everything read.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var all = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, read);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (or fewer at end of stream).</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return buffer[..offset];
            }

            offset += read;
        }

        return buffer;
    }

    /// <summary>How the peer ended the stream: "eof" (FIN), "reset" (RST), or "open" if nothing came within the timeout.</summary>
    public static async Task<string> WaitForEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    return "eof";
                }
            }
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
        catch (OperationCanceledException)
        {
            return "open";
        }
    }

    /// <summary>
    /// Connects and waits for the peer to end the stream. A reset that arrives so fast that the
    /// connect itself reports it counts as "reset".
    /// </summary>
    public static async Task<string> ConnectAndWaitForEndAsync(IPEndPoint remote, IPEndPoint? source, TimeSpan timeout)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(remote, source);
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }

        using (socket)
        {
            return await WaitForEndAsync(socket, timeout);
        }
    }

    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
