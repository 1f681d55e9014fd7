namespace Bouncer.Cli.Report;

/// <summary>
/// A read-only stream that gives back bytes already taken from another stream, then the rest of
/// that stream: standard input cannot seek back after its first bytes were looked at (to tell
/// gzip from plain text).
/// </summary>
public sealed class ReplayStream : Stream
{
    private readonly byte[] _prefix;
    private readonly Stream _rest;
    private int _offset;

    public ReplayStream(byte[] prefix, Stream rest)
    {
        _prefix = prefix;
        _rest = rest;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_offset < _prefix.Length)
        {
            var taken = Math.Min(buffer.Length, _prefix.Length - _offset);
            _prefix.AsSpan(_offset, taken).CopyTo(buffer);
            _offset += taken;
            return taken;
        }

        return _rest.Read(buffer);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rest.Dispose();
        }

        base.Dispose(disposing);
    }
}
