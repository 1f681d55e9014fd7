using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Benchmarks;

/// <summary>A host with no interfaces and no DNS, so the benchmark measures parsing and nothing of the network.</summary>
internal sealed class QuietNetworkEnvironment : INetworkEnvironment
{
    public static QuietNetworkEnvironment Instance { get; } = new();

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => null;

    public IReadOnlyList<IPAddress> ResolveHost(string hostname) => [];
}
