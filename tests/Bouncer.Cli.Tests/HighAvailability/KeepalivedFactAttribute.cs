using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.HighAvailability;

/// <summary>
/// A fact that needs network namespaces and keepalived; skipped, with the reason, where either is
/// missing (CI installs Debian's keepalived package).
/// </summary>
public sealed class KeepalivedFactAttribute : FactAttribute
{
    private static readonly string[] Places = ["/usr/sbin/keepalived", "/usr/local/sbin/keepalived", "/sbin/keepalived"];

    public KeepalivedFactAttribute()
    {
        if (NetworkNamespaces.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
        else if (!Places.Any(File.Exists))
        {
            Skip = "keepalived (Debian package keepalived) is not installed";
        }
    }
}
