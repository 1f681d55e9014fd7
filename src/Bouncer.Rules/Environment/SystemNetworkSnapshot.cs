using System.Net;

namespace Bouncer.Rules.Environment;

/// <summary>
/// The host as one check or reload sees it: the interface table is read once, on first use
/// (reading it is a pass over every interface's files, too slow to repeat per name in a file that
/// names thousands), and each hostname is resolved once however often the file names it.
/// Not thread-safe: one compile uses it, then drops it.
/// </summary>
internal sealed class SystemNetworkSnapshot(SystemNetworkEnvironment system) : INetworkEnvironment
{
    private readonly Dictionary<string, IReadOnlyList<IPAddress>> _hosts = new(StringComparer.Ordinal);
    private Dictionary<string, IReadOnlyList<IPAddress>>? _interfaces;

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name)
    {
        _interfaces ??= SystemNetworkEnvironment.ReadInterfaces();
        return _interfaces.GetValueOrDefault(name);
    }

    public IReadOnlyList<IPAddress> ResolveHost(string hostname)
    {
        if (!_hosts.TryGetValue(hostname, out var addresses))
        {
            addresses = system.ResolveHost(hostname);
            _hosts[hostname] = addresses;
        }

        return addresses;
    }

    public INetworkEnvironment Snapshot() => this;
}
