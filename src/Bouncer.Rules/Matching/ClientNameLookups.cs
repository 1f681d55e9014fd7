using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Matching;

/// <summary>
/// The name lookups made about one client while it is matched or checked: its reverse name
/// (looked up at most once, however many <c>.domain</c> rules ask) and whether a name resolves to it.
/// A lookup that fails or throws counts as "no answer"; only cancellation of the caller's token escapes.
/// </summary>
internal sealed class ClientNameLookups
{
    private readonly INameResolver _resolver;
    private readonly IPAddress _client;
    private bool _reverseLookedUp;
    private string? _reverseName;

    /// <param name="client">The client address, already normalized (<see cref="MappedAddress.Unmap"/>).</param>
    public ClientNameLookups(INameResolver resolver, IPAddress client)
    {
        _resolver = resolver;
        _client = client;
    }

    /// <summary>The client's reverse name without trailing dot, or null when it has none.</summary>
    public async ValueTask<string?> GetReverseNameAsync(CancellationToken cancellationToken)
    {
        if (!_reverseLookedUp)
        {
            try
            {
                var answer = await _resolver.ReverseLookupAsync(_client, cancellationToken).ConfigureAwait(false);
                _reverseName = DomainName.FromReverseLookup(answer);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A resolver failure is an unknown name, not a reason to drop the listener's loop.
                _reverseName = null;
            }

            _reverseLookedUp = true;
        }

        return _reverseName;
    }

    /// <summary>True when <paramref name="hostname"/> resolves to the client's address.</summary>
    public async ValueTask<bool> ResolvesToClientAsync(string hostname, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> addresses;
        try
        {
            addresses = await _resolver.ResolveAsync(hostname, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        foreach (var address in addresses)
        {
            if (MappedAddress.Unmap(address).Equals(_client))
            {
                return true;
            }
        }

        return false;
    }
}
