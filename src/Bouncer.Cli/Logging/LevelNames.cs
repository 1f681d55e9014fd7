using Serilog.Events;

namespace Bouncer.Cli.Logging;

/// <summary>Serilog levels under the syslog names Barefoot's lines use, and their syslog severities.</summary>
public static class LevelNames
{
    public static string For(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => "debug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "warning",
        LogEventLevel.Error => "error",
        _ => "alert",
    };

    /// <summary>RFC 5424 severity: 7 debug, 6 info, 4 warning, 3 error, 1 alert.</summary>
    public static int SyslogSeverity(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => 7,
        LogEventLevel.Information => 6,
        LogEventLevel.Warning => 4,
        LogEventLevel.Error => 3,
        _ => 1,
    };
}
