using System.Net;

namespace Bouncer.Rules.Matching;

/// <summary>The form in which a client address is compared with rules.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// A dual-stack socket reports IPv4 clients as <c>::ffff:a.b.c.d</c>; rules name them as IPv4,
    /// so they are compared as IPv4. Allocates only for such mapped addresses.
    /// </summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
