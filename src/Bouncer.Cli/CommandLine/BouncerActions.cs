namespace Bouncer.Cli.CommandLine;

/// <summary>
/// What a parsed command line runs: the rule-file check (<c>-V</c>) or the daemon. Injected so the
/// command definition can be tested without loading files or binding sockets.
/// </summary>
public sealed record BouncerActions(
    Func<DaemonOptions, TextWriter, TextWriter, int> Verify,
    Func<DaemonOptions, TextWriter, TextWriter, CancellationToken, Task<int>> RunDaemon)
{
    /// <summary>The clock of <c>report</c> (its relative times and refresh) and <c>health</c> (its timeout).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
