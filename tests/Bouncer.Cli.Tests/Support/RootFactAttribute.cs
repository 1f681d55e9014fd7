using System.Globalization;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A fact that needs what dropping privileges needs: Linux, tests running as root, and a
/// <c>nobody</c> user in <c>/etc/passwd</c> to drop to. Skipped with the reason otherwise.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (RootHost.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>The test also starts the daemon under util-linux's <c>setpriv</c> (<see cref="RootHost.Setpriv"/>).</summary>
    public bool NeedsSetpriv
    {
        get => false;
        init
        {
            if (value && Skip is null && RootHost.Setpriv is null)
            {
                Skip = "util-linux's setpriv is not installed";
            }
        }
    }
}

/// <summary>The host facts <see cref="RootFactAttribute"/> checks, read independently of the code under test.</summary>
internal static class RootHost
{
    private static readonly Lazy<(uint UserId, uint GroupId)?> NobodyEntry = new(ReadNobody);

    /// <summary><c>nobody</c>'s user and group id from <c>/etc/passwd</c>; null when it has none.</summary>
    public static (uint UserId, uint GroupId)? Nobody => NobodyEntry.Value;

    /// <summary>Where util-linux's <c>setpriv</c> is; null when it is not installed.</summary>
    public static string? Setpriv { get; } = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);

    public static string? UnavailableReason =>
        !OperatingSystem.IsLinux() ? "dropping privileges is implemented only on Linux"
        : !Environment.IsPrivilegedProcess ? "dropping privileges needs the tests to run as root"
        : Nobody is null ? "no 'nobody' user in /etc/passwd to drop to"
        : null;

    private static (uint, uint)? ReadNobody()
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length >= 4 && fields[0] == "nobody")
                {
                    return (uint.Parse(fields[2], CultureInfo.InvariantCulture), uint.Parse(fields[3], CultureInfo.InvariantCulture));
                }
            }
        }
        catch (IOException)
        {
            // No passwd file: no nobody.
        }

        return null;
    }
}
