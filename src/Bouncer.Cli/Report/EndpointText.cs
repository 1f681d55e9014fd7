using System.Globalization;

namespace Bouncer.Cli.Report;

/// <summary>
/// The endpoints of log lines, text and JSON alike: <c>address.port</c> with the port after the
/// last dot (so <c>::1.5000</c> is port 5000 of ::1).
/// </summary>
internal static class EndpointText
{
    /// <summary>An IPv4 or IPv6 address (with an optional <c>%scope</c>), a dot and a port of 0 to 65535.</summary>
    public static bool IsEndpoint(ReadOnlySpan<char> text)
    {
        var dot = text.LastIndexOf('.');
        if (dot < 1 || text.Length - dot - 1 is < 1 or > 5)
        {
            return false;
        }

        var port = text[(dot + 1)..];
        if (!IsDigits(port) || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535)
        {
            return false;
        }

        var address = text[..dot];
        if (address.Length > 64 || (!address.Contains('.') && !address.Contains(':')))
        {
            return false;
        }

        if (!address.Contains(':'))
        {
            return IsIPv4(address);
        }

        var scope = address.IndexOf('%');
        var literal = scope < 0 ? address : address[..scope];
        foreach (var c in literal)
        {
            if (!char.IsAsciiHexDigit(c) && c != '.' && c != ':')
            {
                return false;
            }
        }

        foreach (var c in scope < 0 ? default : address[(scope + 1)..])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Four decimal parts of 0 to 255 (checked by hand: this runs for every endpoint of every line).</summary>
    private static bool IsIPv4(ReadOnlySpan<char> address)
    {
        int parts = 1, digits = 0, value = 0;
        foreach (var c in address)
        {
            if (c == '.')
            {
                if (digits == 0 || ++parts > 4)
                {
                    return false;
                }

                digits = 0;
                value = 0;
            }
            else if (char.IsAsciiDigit(c) && ++digits <= 3 && (value = (value * 10) + (c - '0')) <= 255)
            {
                continue;
            }
            else
            {
                return false;
            }
        }

        return parts == 4 && digits > 0;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');
}
