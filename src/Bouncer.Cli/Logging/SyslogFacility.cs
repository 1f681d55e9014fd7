namespace Bouncer.Cli.Logging;

/// <summary>Syslog facility names (<c>syslog/local0</c>) and their codes.</summary>
public static class SyslogFacility
{
    public const int Daemon = 3;

    private static readonly Dictionary<string, int> Codes = new(StringComparer.Ordinal)
    {
        ["kern"] = 0, ["user"] = 1, ["mail"] = 2, ["daemon"] = 3, ["auth"] = 4, ["syslog"] = 5,
        ["lpr"] = 6, ["news"] = 7, ["uucp"] = 8, ["cron"] = 9, ["authpriv"] = 10, ["ftp"] = 11,
        ["local0"] = 16, ["local1"] = 17, ["local2"] = 18, ["local3"] = 19,
        ["local4"] = 20, ["local5"] = 21, ["local6"] = 22, ["local7"] = 23,
    };

    /// <summary>The code of <paramref name="name"/>; daemon when no facility is named.</summary>
    public static bool TryParse(string? name, out int code)
    {
        if (string.IsNullOrEmpty(name))
        {
            code = Daemon;
            return true;
        }

        return Codes.TryGetValue(name, out code);
    }
}
