using System.Net;
using System.Net.Sockets;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// The local source address of a session's outgoing side (design §3): <c>redirect from:</c> wins;
/// otherwise <c>external.rotation</c> over the <c>external:</c> list; otherwise the OS chooses
/// (null). Protocol-neutral: TCP connections and UDP flows bind the same way.
/// </summary>
internal static class SourceAddressSelector
{
    /// <param name="rule">The rule the session matched.</param>
    /// <param name="settings">The settings of the table the session started under.</param>
    /// <param name="localReached">The local address the client reached (for <c>same-same</c>).</param>
    /// <param name="targetFamily">The address family of the target.</param>
    /// <returns>The address to bind, or null to let the OS choose.</returns>
    public static IPAddress? Select(Rule rule, Settings settings, IPAddress localReached, AddressFamily targetFamily)
    {
        if (rule.RedirectFrom is { } redirect)
        {
            return redirect;
        }

        if (settings.Externals.IsDefaultOrEmpty)
        {
            return null;
        }

        return settings.Rotation switch
        {
            // same-same: leave from the address the client reached, when it can reach the target.
            ExternalRotation.SameSame when localReached.AddressFamily == targetFamily && !IsUnspecified(localReached) => localReached,
            ExternalRotation.SameSame => FirstOfFamily(settings, targetFamily),

            // route: the kernel's routing decides the source address.
            ExternalRotation.Route => null,
            _ => FirstOfFamily(settings, targetFamily),
        };
    }

    private static IPAddress? FirstOfFamily(Settings settings, AddressFamily family)
    {
        foreach (var external in settings.Externals)
        {
            if (external.AddressFamily == family)
            {
                return external;
            }
        }

        return null;
    }

    private static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
