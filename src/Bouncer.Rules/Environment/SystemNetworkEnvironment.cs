using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Bouncer.Rules.Environment;

/// <summary>The real host: interfaces from the OS, names from the system resolver.</summary>
public sealed class SystemNetworkEnvironment : INetworkEnvironment, INameResolver
{
    /// <summary>The longest name <see cref="Dns"/> looks up (RFC 1035's 255 octets).</summary>
    private const int MaxHostnameLength = 255;

    public static SystemNetworkEnvironment Instance { get; } = new();

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) =>
        ReadInterfaces().GetValueOrDefault(name);

    public INetworkEnvironment Snapshot() => new SystemNetworkSnapshot(ReadInterfaces, ResolveHost);

    /// <summary>Every interface with its addresses (IPv6 link-local left out): one pass over the OS's tables.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> ReadInterfaces()
    {
        var interfaces = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            interfaces[nic.Name] = nic.GetIPProperties().UnicastAddresses
                .Select(a => a.Address)
                .Where(a => !a.IsIPv6LinkLocal)
                .ToArray();
        }

        return interfaces;
    }

    public IReadOnlyList<IPAddress> ResolveHost(string hostname)
    {
        // Dns is kept where it answers differently: it throws the exception that says why a name
        // cannot be looked up, and it adds every interface address to the host's own name.
        if (hostname.Length is 0 or > MaxHostnameLength
            || hostname.Contains('\0', StringComparison.Ordinal)
            || string.Equals(hostname, Dns.GetHostName(), StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Dns.GetHostAddresses(hostname);
            }
            catch (SocketException)
            {
                return [];
            }
        }

        return SystemHostLookup.Resolve(hostname);
    }

    public async ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await Dns.GetHostEntryAsync(address.ToString(), cancellationToken).ConfigureAwait(false);
            return entry.HostName;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken)
    {
        try
        {
            return await Dns.GetHostAddressesAsync(hostname, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return [];
        }
    }
}
