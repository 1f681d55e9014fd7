using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// <c>srchost: nodnsunknown nodnsmismatch</c>, applied after a pass (design §2.6): refuse clients
/// without a reverse name, or whose reverse name does not resolve back to them. Protocol-neutral.
/// </summary>
internal static class SourceHostVerifier
{
    /// <summary>Null when the client passes; otherwise why it does not, as the log shows it.</summary>
    public static async ValueTask<string?> CheckAsync(
        SourceHostChecks checks,
        IPAddress client,
        INameResolver resolver,
        CancellationToken cancellationToken)
    {
        if (checks == SourceHostChecks.None)
        {
            return null;
        }

        var name = await resolver.ReverseLookupAsync(client, cancellationToken).ConfigureAwait(false);
        if (name is null)
        {
            return (checks & SourceHostChecks.NoDnsUnknown) != 0 ? "srchost nodnsunknown: client has no reverse name" : null;
        }

        if ((checks & SourceHostChecks.NoDnsMismatch) == 0)
        {
            return null;
        }

        var addresses = await resolver.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
        return addresses.Any(a => a.Equals(client)) ? null : $"srchost nodnsmismatch: {name} does not resolve to the client";
    }
}
