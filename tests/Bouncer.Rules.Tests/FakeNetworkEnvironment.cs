using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Rules.Tests;

/// <summary>
/// A fixed host for the tests: two interfaces and a few names, no DNS. The corpus files rely on
/// exactly these (documentation addresses only).
/// </summary>
public sealed class FakeNetworkEnvironment : INetworkEnvironment
{
    public static FakeNetworkEnvironment Instance { get; } = new();

    private static readonly Dictionary<string, IPAddress[]> s_interfaces = new(StringComparer.Ordinal)
    {
        ["eth0"] = [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")],
        ["lo"] = [IPAddress.Loopback, IPAddress.IPv6Loopback],
        ["dummy0"] = [],
    };

    private static readonly Dictionary<string, IPAddress[]> s_hosts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mail.internal.example"] = [IPAddress.Parse("192.0.2.25"), IPAddress.Parse("2001:db8::25")],
        ["v4only.example"] = [IPAddress.Parse("192.0.2.30")],
        ["v6only.example"] = [IPAddress.Parse("2001:db8::30")],
    };

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) =>
        s_interfaces.TryGetValue(name, out var addresses) ? addresses : null;

    public IReadOnlyList<IPAddress> ResolveHost(string hostname) =>
        s_hosts.TryGetValue(hostname, out var addresses) ? addresses : [];
}
