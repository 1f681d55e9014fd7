using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Bouncer.Rules.Environment;

/// <summary>The real host: interfaces from the OS, names from the system resolver.</summary>
public sealed class SystemNetworkEnvironment : INetworkEnvironment, INameResolver
{
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
        try
        {
            return Dns.GetHostAddresses(hostname);
        }
        catch (SocketException)
        {
            return [];
        }
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
