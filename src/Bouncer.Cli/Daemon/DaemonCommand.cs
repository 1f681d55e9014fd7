namespace Bouncer.Cli.Daemon;

/// <summary>What the daemon's command loop is asked to do; signals, the file watcher and tests all speak this.</summary>
public enum DaemonCommand
{
    /// <summary>SIGTERM, SIGINT: stop accepting, drain, exit 0.</summary>
    Stop,

    /// <summary>SIGHUP or a changed rule file (<c>--watch</c>): validate the file and reopen the logs.</summary>
    Reload,

    /// <summary>SIGUSR1: write the state to the log.</summary>
    DumpState,
}
