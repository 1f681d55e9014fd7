using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Matching;

/// <summary>
/// The <c>srchost</c> reverse-DNS checks made after a pass (design §2.6), for TCP sessions and UDP
/// flows alike. <c>nodnsunknown</c>: the client must have a reverse name. <c>nodnsmismatch</c>: a
/// reverse name the client has must resolve back to the client's address (a client without a name
/// has nothing to mismatch; add <c>nodnsunknown</c> to refuse those too, as Dante does).
/// A lookup that fails or throws counts as no answer (<see cref="ClientNameLookups"/>): a failed
/// reverse lookup is an unknown name, a failed forward lookup a mismatch. Reverse names are
/// compared without trailing dot and case, and an address given back as the name is no name.
/// </summary>
public sealed class SourceHostCheck
{
    private readonly INameResolver _resolver;

    public SourceHostCheck(INameResolver resolver)
    {
        _resolver = resolver;
    }

    /// <summary>True when the client passes <paramref name="checks"/>. Completes synchronously, asking nothing, when there are none.</summary>
    public ValueTask<bool> PassesAsync(SourceHostChecks checks, IPAddress client, CancellationToken cancellationToken = default)
    {
        var refusal = RefusalAsync(checks, client, cancellationToken);
        return refusal.IsCompletedSuccessfully
            ? new ValueTask<bool>(refusal.Result is null)
            : AwaitPassesAsync(refusal);
    }

    /// <summary>
    /// Null when the client passes <paramref name="checks"/>; otherwise why not, as the session's
    /// log line shows it. Completes synchronously, asking nothing, when there are no checks. Only
    /// cancellation of <paramref name="cancellationToken"/> escapes.
    /// </summary>
    public ValueTask<string?> RefusalAsync(SourceHostChecks checks, IPAddress client, CancellationToken cancellationToken = default) =>
        checks == SourceHostChecks.None
            ? new ValueTask<string?>((string?)null)
            : CheckAsync(checks, MappedAddress.Unmap(client), cancellationToken);

    private static async ValueTask<bool> AwaitPassesAsync(ValueTask<string?> refusal) =>
        await refusal.ConfigureAwait(false) is null;

    private async ValueTask<string?> CheckAsync(SourceHostChecks checks, IPAddress client, CancellationToken cancellationToken)
    {
        var lookups = new ClientNameLookups(_resolver, client);
        var name = await lookups.GetReverseNameAsync(cancellationToken).ConfigureAwait(false);
        if (name is null)
        {
            return (checks & SourceHostChecks.NoDnsUnknown) != 0 ? "srchost nodnsunknown: client has no reverse name" : null;
        }

        if ((checks & SourceHostChecks.NoDnsMismatch) == 0
            || await lookups.ResolvesToClientAsync(name, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return $"srchost nodnsmismatch: {name} does not resolve to the client";
    }
}
