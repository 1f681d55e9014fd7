using System.Net;
using System.Net.Sockets;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// Reads address words: IPv4 and IPv6 literals with an optional <c>/bits</c> or dotted mask, <c>0/0</c>,
/// names and <c>.domain</c> suffixes. Only the form is judged here; which forms a field allows is
/// up to the field.
/// </summary>
internal sealed class AddressReader(DiagnosticBag diagnostics)
{
    public AddressLiteral? Read(WordSyntax word)
    {
        var text = word.Text;
        if (text == "0/0")
        {
            return new AddressLiteral(AddressForm.AnyFamily, text, null, null, 0, word.At(1));
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var host = slash < 0 ? text : text[..slash];
        var mask = slash < 0 ? null : text[(slash + 1)..];
        var literal = ReadHost(word, host);
        if (literal is null || mask is null)
        {
            return literal;
        }

        if (!literal.IsIP)
        {
            diagnostics.Error(word.At(slash), $"netmask not allowed on a name ('{text}'); a netmask belongs to an IP address");
            return null;
        }

        var prefix = ReadMask(word, literal, mask, slash);
        return prefix is null ? null : literal with { Prefix = prefix, MaskPosition = word.At(slash) };
    }

    private AddressLiteral? ReadHost(WordSyntax word, string host)
    {
        if (host.Contains(':', StringComparison.Ordinal))
        {
            return ReadIPv6(word, host);
        }

        if (host.StartsWith('.'))
        {
            var suffix = host[1..];
            if (!IsHostname(suffix))
            {
                diagnostics.Error(word.Position, $"invalid domain '{host}' (expected a dot and a domain name, like .partner.example)");
                return null;
            }

            return new AddressLiteral(AddressForm.Domain, word.Text, null, suffix.ToLowerInvariant(), null, default);
        }

        if (host.Length > 0 && host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return ReadIPv4(host, word.Position, "address") is { } address
                ? new AddressLiteral(AddressForm.IPv4, word.Text, address, null, null, default)
                : null;
        }

        if (!IsHostname(host))
        {
            diagnostics.Error(word.Position, $"invalid address '{host}' (expected an IP address, a hostname, an interface name or .domain)");
            return null;
        }

        return new AddressLiteral(AddressForm.Name, word.Text, null, host, null, default);
    }

    private AddressLiteral? ReadIPv6(WordSyntax word, string host)
    {
        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            diagnostics.Error(word.Position, $"invalid IPv6 address '{host}'");
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            diagnostics.Error(word.Position, $"IPv4-mapped IPv6 address '{host}' is not allowed; write the IPv4 address {address.MapToIPv4()}");
            return null;
        }

        return new AddressLiteral(AddressForm.IPv6, word.Text, address, null, null, default);
    }

    /// <summary>Strict dotted quad: four decimal numbers 0-255 without leading zeros.</summary>
    private IPAddress? ReadIPv4(string text, Model.SourcePosition position, string what)
    {
        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit)))
        {
            diagnostics.Error(position, $"invalid IPv4 {what} '{text}' (expected four numbers 0-255, like 192.0.2.1)");
            return null;
        }

        if (parts.Any(p => p.Length > 1 && p[0] == '0'))
        {
            diagnostics.Error(position, $"leading zero in IPv4 {what} '{text}' (Barefoot reads it as octal); write the numbers without leading zeros");
            return null;
        }

        var bytes = parts.Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (bytes.Any(b => b > 255))
        {
            diagnostics.Error(position, $"invalid IPv4 {what} '{text}' (each number must be 0-255)");
            return null;
        }

        return new IPAddress(bytes.Select(b => (byte)b).ToArray());
    }

    private int? ReadMask(WordSyntax word, AddressLiteral literal, string mask, int slash)
    {
        var at = word.At(slash + 1);
        var bits = literal.Form == AddressForm.IPv6 ? 128 : 32;
        if (mask.Contains('.', StringComparison.Ordinal))
        {
            if (literal.Form == AddressForm.IPv6)
            {
                diagnostics.Error(at, $"dotted netmask '{mask}' on an IPv6 address; write /bits (0-128)");
                return null;
            }

            return ReadDottedMask(mask, at);
        }

        if (!Numbers.TryParse(mask, long.MaxValue, out var prefix, out var error))
        {
            diagnostics.Error(at, mask.Length == 0 ? $"empty netmask in '{word.Text}' (expected /bits or a dotted mask)" : $"invalid netmask: {error}");
            return null;
        }

        if (prefix > bits)
        {
            diagnostics.Error(at, $"netmask /{mask} is out of range for {(bits == 32 ? "IPv4" : "IPv6")} (0-{bits})");
            return null;
        }

        return (int)prefix;
    }

    private int? ReadDottedMask(string mask, Model.SourcePosition at)
    {
        if (ReadIPv4(mask, at, "netmask") is not { } address)
        {
            return null;
        }

        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        var prefix = System.Numerics.BitOperations.LeadingZeroCount(~value);
        if (prefix < 32 && (value << prefix) != 0)
        {
            diagnostics.Error(at, $"non-contiguous netmask '{mask}' (the one bits must come first, like 255.255.0.0)");
            return null;
        }

        return prefix;
    }

    /// <summary>Letters, digits, '-' and '_' in dot-separated labels of 1-63 characters, 253 in all.</summary>
    public static bool IsHostname(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
