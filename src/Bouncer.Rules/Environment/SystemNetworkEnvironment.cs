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

    /// <summary>A view read once per check or reload; the host's own name is read once for it too.</summary>
    public INetworkEnvironment Snapshot()
    {
        var ownName = Dns.GetHostName();
        return new SystemNetworkSnapshot(ReadInterfaces, hostname => ResolveHost(hostname, ownName));
    }

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

    public IReadOnlyList<IPAddress> ResolveHost(string hostname) => ResolveHost(hostname, Dns.GetHostName());

    private static IReadOnlyList<IPAddress> ResolveHost(string hostname, string ownName)
    {
        // Dns is kept where it answers differently: it throws the exception that says why a name
        // cannot be looked up, and it adds every interface address to the host's own name. The
        // direct lookup reads Linux's struct layout and constants, so other systems use Dns too.
        if (!OperatingSystem.IsLinux()
            || hostname.Length is 0 or > MaxHostnameLength
            || hostname.Contains('\0', StringComparison.Ordinal)
            || string.Equals(hostname, ownName, StringComparison.OrdinalIgnoreCase))
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
