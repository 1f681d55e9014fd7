using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Matching;

/// <summary>
/// The <c>srchost</c> reverse-DNS checks made after a pass (design §2.6). <c>nodnsunknown</c>: the
/// client must have a reverse name. <c>nodnsmismatch</c>: a reverse name the client has must resolve
/// back to the client's address (a client without a name has nothing to mismatch; add
/// <c>nodnsunknown</c> to refuse those too, as Dante does).
/// </summary>
public sealed class SourceHostCheck
{
    private readonly INameResolver _resolver;

    public SourceHostCheck(INameResolver resolver)
    {
        _resolver = resolver;
    }

    /// <summary>True when the client passes <paramref name="checks"/>. Completes synchronously, asking nothing, when there are none.</summary>
    public ValueTask<bool> PassesAsync(SourceHostChecks checks, IPAddress client, CancellationToken cancellationToken = default) =>
        checks == SourceHostChecks.None
            ? new ValueTask<bool>(true)
            : CheckAsync(checks, ClientAddress.Normalize(client), cancellationToken);

    private async ValueTask<bool> CheckAsync(SourceHostChecks checks, IPAddress client, CancellationToken cancellationToken)
    {
        var lookups = new ClientNameLookups(_resolver, client);
        var name = await lookups.GetReverseNameAsync(cancellationToken).ConfigureAwait(false);
        if (name is null)
        {
            return (checks & SourceHostChecks.NoDnsUnknown) == 0;
        }

        return (checks & SourceHostChecks.NoDnsMismatch) == 0
            || await lookups.ResolvesToClientAsync(name, cancellationToken).ConfigureAwait(false);
    }
}
