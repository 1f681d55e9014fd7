using System.IO.Compression;

namespace Bouncer.Cli.Report;

/// <summary>
/// One input of a report: a file or standard input, plain or gzip-compressed (told by its first
/// bytes, not its name), opened and looked into far enough to know the time of its first line, so
/// that a file and its rotations can be read oldest first whatever order they were named in.
/// </summary>
public sealed class LogInput : IDisposable
{
    /// <summary>How far into an input to look for its first time stamp.</summary>
    public const int PeekLength = 64 * 1024;

    private static readonly byte[] GzipMagic = [0x1f, 0x8b];

    private LogInput(string name, int position, Stream stream, FileStream? file, bool compressed, byte[] peeked)
    {
        Name = name;
        Position = position;
        Stream = stream;
        File = file;
        IsCompressed = compressed;
        Peeked = peeked;
    }

    /// <summary>The name as given on the command line (<c>-</c> for standard input).</summary>
    public string Name { get; }

    /// <summary>Where it was named among the inputs, to keep the given order among equals.</summary>
    public int Position { get; }

    /// <summary>The plain text, after the bytes in <see cref="Peeked"/>.</summary>
    public Stream Stream { get; }

    /// <summary>The file under a plain input, which <c>--follow</c> watches; null for compressed files and standard input.</summary>
    public FileStream? File { get; }

    public bool IsCompressed { get; }

    public bool IsStandardInput => Name == ReportOptions.StandardInput;

    /// <summary>The first bytes of the plain text, already taken from <see cref="Stream"/>.</summary>
    public byte[] Peeked { get; }

    /// <summary>When the first line with a time stamp was written; null when none is near the start.</summary>
    public long? FirstTicks { get; private set; }

    /// <summary>Opens <paramref name="name"/>; throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it cannot be read.</summary>
    public static LogInput Open(string name, int position, Func<Stream> standardInput)
    {
        Stream raw = name == ReportOptions.StandardInput
            ? standardInput()
            : new FileStream(name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        try
        {
            var head = ReadUpTo(raw, PeekLength);
            if (head.AsSpan().StartsWith(GzipMagic))
            {
                var text = new GZipStream(new ReplayStream(head, raw), CompressionMode.Decompress);
                var input = new LogInput(name, position, text, file: null, compressed: true, ReadUpTo(text, PeekLength));
                input.FindFirstTime();
                return input;
            }

            var plain = new LogInput(name, position, raw, raw as FileStream, compressed: false, head);
            plain.FindFirstTime();
            return plain;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>Oldest first by the first time stamp; inputs without one keep their place after those that have one.</summary>
    public static IReadOnlyList<LogInput> OldestFirst(IEnumerable<LogInput> inputs) =>
        [.. inputs.OrderBy(i => i.FirstTicks ?? long.MaxValue).ThenBy(i => i.Position)];

    /// <summary>
    /// True when this is a rotation of another input (<c>bouncer.log.1</c>, <c>bouncer.log-20251122</c>
    /// beside <c>bouncer.log</c>): only the live file is followed, as a rotation will not grow.
    /// </summary>
    public bool IsRotationOf(LogInput other) =>
        !ReferenceEquals(this, other) && !other.IsStandardInput &&
        (Name.StartsWith(other.Name + ".", StringComparison.Ordinal) || Name.StartsWith(other.Name + "-", StringComparison.Ordinal));

    public void Dispose() => Stream.Dispose();

    private static byte[] ReadUpTo(Stream stream, int length)
    {
        var buffer = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = stream.Read(buffer, filled, length - filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled == length ? buffer : buffer[..filled];
    }

    private void FindFirstTime()
    {
        var parser = new LogLineParser();
        var rest = Peeked.AsSpan();
        var session = default(SessionLine);
        while (rest.IndexOf((byte)'\n') is var newline and >= 0)
        {
            if (parser.Parse(rest[..newline], ref session, out var ticks) != LineKind.Unreadable)
            {
                FirstTicks = ticks;
                return;
            }

            rest = rest[(newline + 1)..];
        }
    }
}
