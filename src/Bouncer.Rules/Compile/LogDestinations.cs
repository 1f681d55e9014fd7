using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>The values of <c>logoutput:</c> and <c>errorlog:</c>: stdout, stderr, syslog[/facility] or a file.</summary>
internal static class LogDestinations
{
    private static readonly HashSet<string> s_facilities = new(StringComparer.Ordinal)
    {
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    };

    public static IEnumerable<LogDestination> Read(OptionSyntax option, ValueReader values)
    {
        var words = values.Words(option);
        if (option.Values.Length == 0)
        {
            values.Error(option.Position, $"{option.Keyword}: needs a value (stdout, stderr, syslog[/facility] or a file name)");
        }

        foreach (var word in words)
        {
            if (Read(word, values) is { } destination)
            {
                yield return destination;
            }
        }
    }

    private static LogDestination? Read(WordSyntax word, ValueReader values)
    {
        var text = word.Text;
        switch (text)
        {
            case "stdout":
                return new LogDestination(LogDestinationKind.Stdout, null);
            case "stderr":
                return LogDestination.Stderr;
            case "syslog":
                return new LogDestination(LogDestinationKind.Syslog, null);
        }

        if (text.StartsWith("syslog/", StringComparison.Ordinal))
        {
            var facility = text["syslog/".Length..];
            if (s_facilities.Contains(facility))
            {
                return new LogDestination(LogDestinationKind.Syslog, facility);
            }

            values.Error(word.At("syslog/".Length), $"unknown syslog facility '{facility}' (expected {string.Join(", ", s_facilities)})");
            return null;
        }

        if (!text.StartsWith('/'))
        {
            values.Warning(word.Position, $"log file '{text}' is a relative path (it is opened in the working directory); write an absolute path");
        }

        return new LogDestination(LogDestinationKind.File, text);
    }
}
