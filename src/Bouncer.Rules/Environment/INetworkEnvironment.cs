using System.Net;

namespace Bouncer.Rules.Environment;

/// <summary>
/// What the compile step needs from the host: interface addresses and forward name lookups
/// made when the file is loaded. Tests substitute a fixed environment so they need no DNS.
/// </summary>
public interface INetworkEnvironment
{
    /// <summary>The addresses of interface <paramref name="name"/>, or null when there is no such interface.</summary>
    IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name);

    /// <summary>Forward lookup; an empty list when the name does not resolve.</summary>
    IReadOnlyList<IPAddress> ResolveHost(string hostname);

    /// <summary>
    /// The environment for one check or reload: each interface and name looked up at most once,
    /// however often the file names it. Fixed environments (tests) are their own snapshot.
    /// </summary>
    INetworkEnvironment Snapshot() => this;

    /// <summary>
    /// The names the compile is about to expand, announced up front so a snapshot can resolve
    /// them together; answers to later calls are the same either way. Fixed environments ignore it.
    /// </summary>
    void LookAhead(IEnumerable<string> names)
    {
    }
}

/// <summary>
/// Name lookups made while matching (<c>.domain</c> and hostname <c>from:</c>) and when connecting
/// to a hostname target. Injectable so tests need no DNS.
/// </summary>
public interface INameResolver
{
    /// <summary>Reverse lookup of a client address; null when it has no name.</summary>
    ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken);

    /// <summary>Forward lookup; empty when the name does not resolve.</summary>
    ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken);
}
