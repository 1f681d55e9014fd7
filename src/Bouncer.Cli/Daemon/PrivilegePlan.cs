namespace Bouncer.Cli.Daemon;

/// <summary>
/// What a start does about <c>user.unprivileged</c>, decided before any file is opened or socket
/// bound: drop to <see cref="DropTo"/> once bound, refuse to start (<see cref="Refusal"/>), or
/// nothing, perhaps with a <see cref="Notice"/> for the log.
/// </summary>
public sealed record PrivilegePlan
{
    public static PrivilegePlan Nothing { get; } = new();

    public UnixUser? DropTo { get; init; }

    /// <summary>Why the daemon must not start; the start fails with a configuration error.</summary>
    public string? Refusal { get; init; }

    /// <summary>A warning to log once the log is open: the setting was not applied, and why.</summary>
    public string? Notice { get; init; }
}
