namespace Bouncer.Cli.Report;

/// <summary>Receives the lines a <see cref="LineSplitter"/> finds.</summary>
public interface ILineConsumer
{
    /// <summary>One line without its newline; the span is valid only during the call.</summary>
    void OnLine(ReadOnlySpan<byte> line);

    /// <summary>A line longer than the splitter takes was passed over.</summary>
    void OnOverlongLine();
}

/// <summary>
/// Cuts a stream into lines with one reused buffer, so a file of any size is read in constant
/// memory. A line longer than <see cref="MaxLineLength"/> is passed over (and reported) rather than
/// growing the buffer without bound. Reads that find no more data leave a partial last line in the
/// buffer: <see cref="ReadAvailable"/> may be called again when the file has grown (following a
/// log), and <see cref="Finish"/> hands it on as a line when no more will come.
/// </summary>
public sealed class LineSplitter
{
    /// <summary>An I/O line with a 64 KiB payload escaped is at most about 260 KB; beyond 1 MiB a line is not Bouncer's.</summary>
    public const int MaxLineLength = 1 << 20;

    private const int ReadSize = 1 << 20;
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _discarding;

    /// <param name="stream">Read from its current position.</param>
    /// <param name="initial">Bytes already read from the stream, taken before it.</param>
    public LineSplitter(Stream stream, ReadOnlySpan<byte> initial = default)
    {
        _stream = stream;
        _buffer = new byte[Math.Max(ReadSize, initial.Length + 4096)];
        initial.CopyTo(_buffer);
        _end = initial.Length;
        BytesRead = initial.Length;
    }

    /// <summary>Bytes taken from the stream so far (with the initial bytes).</summary>
    public long BytesRead { get; private set; }

    /// <summary>True when a partial line waits for the rest of it.</summary>
    public bool HasPartialLine => _end > _start || _discarding;

    /// <summary>Hands every complete line to <paramref name="consumer"/> until the stream has no more data; returns whether any data was read.</summary>
    public bool ReadAvailable(ILineConsumer consumer)
    {
        var any = _end > _start;
        while (true)
        {
            EmitLines(consumer);
            if (_start > 0)
            {
                // Move the partial line to the front; it is short next to the buffer, so this is cheap.
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                if (_buffer.Length < MaxLineLength + 1)
                {
                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineLength + 1));
                }
                else
                {
                    // No newline within MaxLineLength: drop what is held and the rest of that line.
                    if (!_discarding)
                    {
                        consumer.OnOverlongLine();
                    }

                    _discarding = true;
                    _end = 0;
                }
            }

            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                return any;
            }

            any = true;
            BytesRead += read;
            _end += read;
        }
    }

    /// <summary>Forgets a partial line (the file was truncated or replaced under it).</summary>
    public void Reset()
    {
        _start = 0;
        _end = 0;
        _discarding = false;
    }

    /// <summary>Hands on the last line when it has no newline (a file cut short, or one written without it).</summary>
    public void Finish(ILineConsumer consumer)
    {
        if (_end > _start && !_discarding)
        {
            consumer.OnLine(_buffer.AsSpan(_start, _end - _start));
        }

        Reset();
    }

    private void EmitLines(ILineConsumer consumer)
    {
        while (_start < _end)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline < 0)
            {
                return;
            }

            if (_discarding)
            {
                _discarding = false;
            }
            else
            {
                consumer.OnLine(_buffer.AsSpan(_start, newline));
            }

            _start += newline + 1;
        }
    }
}
