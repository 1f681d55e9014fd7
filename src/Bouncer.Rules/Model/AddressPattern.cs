using System.Net;
using System.Net.Sockets;

namespace Bouncer.Rules.Model;

/// <summary>What a <c>from:</c> address can be. Each form is a sealed record below.</summary>
public abstract record AddressPattern;

/// <summary>An IP network of one family: <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, <c>192.0.2.7/32</c>.</summary>
public sealed record NetworkPattern(IPAddress Network, int PrefixLength) : AddressPattern
{
    public AddressFamily Family => Network.AddressFamily;

    public bool Contains(IPAddress address)
    {
        address = MappedAddress.Unmap(address);
        if (address.AddressFamily != Network.AddressFamily)
        {
            return false;
        }

        Span<byte> wanted = stackalloc byte[16];
        Span<byte> actual = stackalloc byte[16];
        Network.TryWriteBytes(wanted, out var length);
        address.TryWriteBytes(actual, out _);
        var fullBytes = PrefixLength / 8;
        if (!wanted[..fullBytes].SequenceEqual(actual[..fullBytes]))
        {
            return false;
        }

        var remainingBits = PrefixLength % 8;
        if (remainingBits == 0 || fullBytes >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - remainingBits));
        return (wanted[fullBytes] & mask) == (actual[fullBytes] & mask);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";
}

/// <summary><c>0/0</c>: every address of either family.</summary>
public sealed record AnyAddressPattern : AddressPattern
{
    public static AnyAddressPattern Instance { get; } = new();

    public override string ToString() => "0/0";
}

/// <summary>A hostname on <c>from:</c>; the client matches when it is one of the name's addresses, resolved when used.</summary>
public sealed record HostnamePattern(string Hostname) : AddressPattern
{
    public override string ToString() => Hostname;
}

/// <summary>
/// <c>.partner.example</c>: the client's reverse name equals <see cref="Suffix"/> or ends in
/// "." + <see cref="Suffix"/> (label boundary respected). <see cref="Suffix"/> has no leading dot.
/// </summary>
public sealed record DomainPattern(string Suffix) : AddressPattern
{
    public override string ToString() => "." + Suffix;
}
