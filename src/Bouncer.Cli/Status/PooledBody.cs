using System.Buffers;

namespace Bouncer.Cli.Status;

/// <summary>
/// A write-only stream that keeps what is written in 64 KiB arrays rented from the shared pool, for
/// response bodies: a 10,000-rule table's exposition is several MB, which as one array would be a
/// large-object allocation per scrape, and those bring the full collections that pause forwarding.
/// The arrays go back to the pool on <see cref="Dispose(bool)"/>.
/// </summary>
internal sealed class PooledBody : Stream
{
    private const int ChunkSize = 64 * 1024;

    private readonly List<byte[]> _chunks = [];
    private int _lastLength = ChunkSize;
    private long _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <summary>The written bytes, in order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks
    {
        get
        {
            for (var i = 0; i < _chunks.Count; i++)
            {
                yield return _chunks[i].AsMemory(0, i == _chunks.Count - 1 ? _lastLength : ChunkSize);
            }
        }
    }

    public static PooledBody Of(ReadOnlySpan<byte> bytes)
    {
        var body = new PooledBody();
        body.Write(bytes);
        return body;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_lastLength == ChunkSize)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
                _lastLength = 0;
            }

            var take = Math.Min(buffer.Length, ChunkSize - _lastLength);
            buffer[..take].CopyTo(_chunks[^1].AsSpan(_lastLength));
            _lastLength += take;
            _length += take;
            buffer = buffer[take..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
        _lastLength = ChunkSize;
        _length = 0;
        base.Dispose(disposing);
    }
}
