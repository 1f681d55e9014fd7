using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// Turns a rule's <c>bounce to:</c> into the endpoint of one connection. Hostnames are resolved per
/// connection through the engine's short cache, so a service that moves is followed within the
/// cache lifetime. A target without a port takes the port the client reached.
/// </summary>
internal sealed class TargetResolver
{
    private readonly INameResolver _resolver;

    public TargetResolver(INameResolver resolver)
    {
        _resolver = resolver;
    }

    /// <summary>The target endpoint, or null when the hostname does not resolve.</summary>
    public async ValueTask<IPEndPoint?> ResolveAsync(BounceTarget target, IPEndPoint local, CancellationToken cancellationToken)
    {
        var port = target.Port > 0 ? target.Port : local.Port;
        if (target.Address is { } address)
        {
            return new IPEndPoint(address, port);
        }

        if (target.Hostname is null)
        {
            return null;
        }

        var addresses = await _resolver.ResolveAsync(target.Hostname, cancellationToken).ConfigureAwait(false);
        return addresses.Count == 0 ? null : new IPEndPoint(Prefer(addresses, local), port);
    }

    // Prefer an address of the family the client used, so IPv4 clients are not moved to IPv6 by surprise.
    private static IPAddress Prefer(IReadOnlyList<IPAddress> addresses, IPEndPoint local)
    {
        foreach (var address in addresses)
        {
            if (address.AddressFamily == local.AddressFamily)
            {
                return address;
            }
        }

        return addresses[0];
    }
}
