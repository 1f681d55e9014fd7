using System.Net;

namespace Bouncer.Rules.Model;

/// <summary>
/// The one form in which addresses are compared, matched and logged. A dual-stack socket reports
/// IPv4 peers as <c>::ffff:a.b.c.d</c>; rules and logs name them as IPv4, so such addresses are
/// taken as IPv4. Allocates only for mapped addresses.
/// </summary>
public static class MappedAddress
{
    /// <summary><paramref name="address"/> as IPv4 when it is IPv4-mapped; otherwise itself.</summary>
    public static IPAddress Unmap(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary><paramref name="endpoint"/> with its address as IPv4 when it is IPv4-mapped; otherwise itself.</summary>
    public static IPEndPoint Unmap(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
