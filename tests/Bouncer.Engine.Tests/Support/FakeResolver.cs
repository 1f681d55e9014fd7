using System.Collections.Concurrent;
using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Names from fixed tables, so no test depends on DNS. Counts lookups to show caching.</summary>
internal sealed class FakeResolver : INameResolver
{
    private int _forwardLookups;

    public ConcurrentDictionary<IPAddress, string> ReverseNames { get; } = new();

    public ConcurrentDictionary<string, IPAddress[]> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int ForwardLookups => Volatile.Read(ref _forwardLookups);

    public ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ReverseNames.TryGetValue(address, out var name) ? name : null);

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _forwardLookups);
        return ValueTask.FromResult<IReadOnlyList<IPAddress>>(Hosts.TryGetValue(hostname, out var addresses) ? addresses : []);
    }
}
