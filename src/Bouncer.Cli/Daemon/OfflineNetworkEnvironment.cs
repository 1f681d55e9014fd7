using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// A host that answers every interface and name with the loopback address, without asking the
/// system: the reload warm-up compiles the same rules many times and must not send a DNS query or
/// list the interfaces for each of them.
/// </summary>
internal sealed class OfflineNetworkEnvironment : INetworkEnvironment
{
    public static OfflineNetworkEnvironment Instance { get; } = new();

    private static readonly IReadOnlyList<IPAddress> s_loopback = [IPAddress.Loopback];

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => s_loopback;

    public IReadOnlyList<IPAddress> ResolveHost(string hostname) => s_loopback;
}
