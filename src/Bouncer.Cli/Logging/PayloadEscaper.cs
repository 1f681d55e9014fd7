using System.Globalization;
using System.Text;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Makes a payload safe for a one-line log: printable ASCII stays, backslash, CR, LF and TAB become
/// C escapes, every other byte becomes <c>\xNN</c>. A log line never breaks and never carries
/// terminal control bytes from a client.
/// </summary>
public static class PayloadEscaper
{
    public static string Escape(ReadOnlySpan<byte> payload)
    {
        var text = new StringBuilder(payload.Length);
        foreach (var b in payload)
        {
            switch (b)
            {
                case (byte)'\\':
                    text.Append(@"\\");
                    break;
                case (byte)'\n':
                    text.Append(@"\n");
                    break;
                case (byte)'\r':
                    text.Append(@"\r");
                    break;
                case (byte)'\t':
                    text.Append(@"\t");
                    break;
                case >= 0x20 and < 0x7F:
                    text.Append((char)b);
                    break;
                default:
                    text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
                    break;
            }
        }

        return text.ToString();
    }
}
