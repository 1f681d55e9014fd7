using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Compile;

/// <summary>The form an address word has.</summary>
internal enum AddressForm
{
    IPv4,
    IPv6,

    /// <summary><c>0/0</c>: both families.</summary>
    AnyFamily,

    /// <summary>A hostname or an interface name; which one is decided where it is used.</summary>
    Name,

    /// <summary><c>.partner.example</c>.</summary>
    Domain,
}

/// <summary>
/// An address word taken apart: the address or name, and the netmask if one was written
/// (<see cref="Prefix"/> is null without one). <see cref="MaskPosition"/> points at the '/'.
/// </summary>
internal sealed record AddressLiteral(AddressForm Form, string Text, IPAddress? Address, string? Name, int? Prefix, SourcePosition MaskPosition)
{
    public bool IsIP => Form is AddressForm.IPv4 or AddressForm.IPv6;

    public bool HasMask => Prefix is not null;

    public bool IsWildcard => Address is not null && (Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any));

    /// <summary>"/32" or "/128": what to add for one host.</summary>
    public string HostMask => Form == AddressForm.IPv6 ? "/128" : "/32";

    /// <summary>The network with host bits cleared, and whether any were set.</summary>
    public (IPAddress Network, bool HadHostBits) Network()
    {
        var bytes = Address!.GetAddressBytes();
        var prefix = Prefix ?? bytes.Length * 8;
        var changed = false;
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            var mask = (byte)(0xFF << (8 - keep));
            if ((bytes[i] & ~mask & 0xFF) != 0)
            {
                changed = true;
            }

            bytes[i] &= mask;
        }

        return (new IPAddress(bytes), changed);
    }
}
