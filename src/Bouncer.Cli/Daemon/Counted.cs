using System.Globalization;

namespace Bouncer.Cli.Daemon;

/// <summary>"1 rule", "3 rules": counts as the daemon's log lines and systemd status write them.</summary>
internal static class Counted
{
    public static string Of(long count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");
}
