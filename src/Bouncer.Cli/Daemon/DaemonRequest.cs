namespace Bouncer.Cli.Daemon;

/// <summary>
/// A <see cref="DaemonCommand"/> with the moment it was posted (a timestamp of the daemon's
/// <see cref="TimeProvider"/>), so a reload's summary line can say how long it took from the signal itself, not from
/// when the command loop got to it.
/// </summary>
public readonly record struct DaemonRequest(DaemonCommand Command, long PostedAt);
