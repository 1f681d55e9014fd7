using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>
/// A resolver with fixed answers and call counts, so name patterns are tested without DNS. Each
/// answer first yields, so the matcher's asynchronous path really runs asynchronously.
/// </summary>
internal sealed class MatchFakeNameResolver : INameResolver
{
    private readonly Dictionary<IPAddress, string> _reverse = [];
    private readonly Dictionary<string, IPAddress[]> _forward = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failingNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<IPAddress> _failingAddresses = [];

    public int ReverseLookups { get; private set; }

    public int ForwardLookups { get; private set; }

    public int Lookups => ReverseLookups + ForwardLookups;

    public MatchFakeNameResolver WithReverse(string address, string name)
    {
        _reverse[IPAddress.Parse(address)] = name;
        return this;
    }

    public MatchFakeNameResolver WithForward(string name, params string[] addresses)
    {
        _forward[name] = [.. addresses.Select(IPAddress.Parse)];
        return this;
    }

    /// <summary>Lookups of this address or name throw, as a broken resolver might.</summary>
    public MatchFakeNameResolver Failing(string addressOrName)
    {
        if (IPAddress.TryParse(addressOrName, out var address))
        {
            _failingAddresses.Add(address);
        }
        else
        {
            _failingNames.Add(addressOrName);
        }

        return this;
    }

    public async ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ReverseLookups++;
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        if (_failingAddresses.Contains(address))
        {
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.TryAgain);
        }

        return _reverse.GetValueOrDefault(address);
    }

    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken)
    {
        ForwardLookups++;
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        if (_failingNames.Contains(hostname))
        {
            throw new InvalidOperationException("resolver broke");
        }

        return _forward.GetValueOrDefault(hostname) ?? [];
    }
}
