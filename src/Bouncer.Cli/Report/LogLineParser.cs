using System.Text;

namespace Bouncer.Cli.Report;

/// <summary>
/// Reads one log line in whichever layout it is written: a line that starts with <c>{</c> is JSON,
/// any other is Barefoot's text layout. The text is decoded once into a reused buffer, so reading
/// a line allocates nothing.
/// </summary>
public sealed class LogLineParser
{
    private readonly TextLineParser _text = new();
    private readonly JsonLineParser _json = new();
    private char[] _chars = new char[1024];

    public LineKind Parse(ReadOnlySpan<byte> line, ref SessionLine session, out long ticks)
    {
        if (!line.IsEmpty && line[^1] == '\r')
        {
            line = line[..^1];
        }

        if (!line.IsEmpty && line[0] == '{')
        {
            return _json.Parse(line, ref session, out ticks);
        }

        if (line.Length > _chars.Length)
        {
            _chars = new char[Math.Max(line.Length, _chars.Length * 2)];
        }

        // Invalid UTF-8 becomes U+FFFD and then fails the layout's checks like any other stray text.
        var length = Encoding.UTF8.GetChars(line, _chars);
        return _text.Parse(_chars.AsSpan(0, length), ref session, out ticks);
    }
}
