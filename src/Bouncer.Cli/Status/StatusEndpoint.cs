using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bouncer.Cli.Status;

/// <summary>
/// The <c>--status ADDRESS:PORT</c> value: one literal address (no hostname, so what is bound is
/// exactly what was written) and an explicit port; IPv6 in brackets, <c>[::1]:9100</c>.
/// </summary>
public static class StatusEndpoint
{
    public const string Expected = "ADDRESS:PORT with a literal address and a port 1-65535 (127.0.0.1:9100, [::1]:9100)";

    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' has no port";
            return false;
        }

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            error = $"'{text}': an IPv6 address goes in brackets, [{host}]:{portText}";
            return false;
        }

        if (!IPAddress.TryParse(host, out var address) || (address.AddressFamily == AddressFamily.InterNetwork && host.Count(c => c == '.') != 3))
        {
            error = $"'{host}' is not an IPv4 or IPv6 address";
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{portText}' is not a port 1-65535";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }
}
