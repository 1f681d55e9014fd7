namespace Bouncer.Rules.Model;

public enum LogDestinationKind
{
    Stdout,
    Stderr,
    Syslog,
    File,
}

/// <summary>One <c>logoutput:</c>/<c>errorlog:</c> value. <see cref="Target"/> is the facility for syslog or the path for a file.</summary>
public sealed record LogDestination(LogDestinationKind Kind, string? Target)
{
    public static LogDestination Stderr { get; } = new(LogDestinationKind.Stderr, null);

    public override string ToString() => Kind switch
    {
        LogDestinationKind.Stdout => "stdout",
        LogDestinationKind.Stderr => "stderr",
        LogDestinationKind.Syslog => Target is null ? "syslog" : $"syslog/{Target}",
        _ => Target ?? string.Empty,
    };
}
