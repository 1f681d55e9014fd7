namespace Bouncer.Cli.Status;

/// <summary>How the last reload ended, for the status page: when, whether it took, how long, and its log line's gist.</summary>
internal sealed record ReloadOutcome(DateTimeOffset At, bool Succeeded, TimeSpan Duration, string Summary);
