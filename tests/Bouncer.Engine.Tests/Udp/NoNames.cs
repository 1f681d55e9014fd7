using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>No DNS in tests: every name and address is unknown.</summary>
internal sealed class NoNames : INameResolver
{
    public ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<IPAddress>>([]);
}
