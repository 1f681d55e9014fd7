using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// A TCP target for integrity checks. A client sends a header (bytes it will send, bytes it wants,
/// a seed), then its bytes; the target meanwhile sends the bytes asked for, and after both it sends
/// the SHA-256 of what it received and of what it sent. The client, which hashed its side the same
/// way, compares: a byte lost, changed, added or reordered anywhere shows.
/// </summary>
internal sealed class IntegrityTarget : IAsyncDisposable
{
    public const int HeaderSize = 24;
    private const int Chunk = 64 * 1024;

    private static readonly byte[] s_pool = MakePool();
    private readonly LoopbackTcpServer _server;

    public IntegrityTarget(IPAddress address)
    {
        _server = new LoopbackTcpServer(address, ServeAsync);
    }

    public int Port => _server.Port;

    /// <summary>
    /// Bytes to send: 64 KiB pieces of a 4 MiB random pool taken at offsets the seed chooses, so
    /// making them costs little and no two transfers look alike.
    /// </summary>
    public static async Task<byte[]> SendAsync(Socket socket, long length, int seed, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        for (var left = length; left > 0;)
        {
            var size = (int)Math.Min(Chunk, left);
            var piece = s_pool.AsMemory(random.Next(s_pool.Length - Chunk), size);
            hash.AppendData(piece.Span);
            await socket.SendAsync(piece, SocketFlags.None, cancellationToken);
            left -= size;
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes and returns their SHA-256; throws if the stream ends first.</summary>
    public static async Task<byte[]> ReceiveAsync(Socket socket, long length, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[Chunk];
        for (var left = length; left > 0;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the stream ended {left} bytes early");
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
        }

        return hash.GetHashAndReset();
    }

    public static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < buffer.Length;)
        {
            var read = await socket.ReceiveAsync(buffer[offset..], SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the stream ended {buffer.Length - offset} bytes early");
            }

            offset += read;
        }
    }

    public static byte[] Header(long up, long down, int seed)
    {
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteInt64BigEndian(header, up);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), down);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(16), seed);
        return header;
    }

    private static byte[] MakePool()
    {
        var pool = new byte[4 * 1024 * 1024];
        new Random(8).NextBytes(pool);
        return pool;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            try
            {
                var header = new byte[HeaderSize];
                await ReceiveExactlyAsync(socket, header, cancellationToken);
                var up = BinaryPrimitives.ReadInt64BigEndian(header);
                var down = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(8));
                var seed = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16));
                var receiving = ReceiveAsync(socket, up, cancellationToken);
                var sent = await SendAsync(socket, down, seed, cancellationToken);
                var received = await receiving;
                await socket.SendAsync(received.Concat(sent).ToArray(), SocketFlags.None, cancellationToken);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // The client's check reports what went wrong; this side only stops.
            }
        }
    }
}
