namespace Bouncer.Cli;

/// <summary>
/// Process exit statuses (design §5.3). Scripts and systemd read these, so they never change meaning.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Normal stop, or a rule file that verified without errors.</summary>
    public const int Ok = 0;

    /// <summary>
    /// The rule file has errors, a listener of a valid file could not be bound, or, started as root,
    /// its <c>user.unprivileged</c> cannot be honoured (no such user, a user with id 0, not Linux):
    /// each is fixed in the file or in how the daemon is started, and each is found before serving.
    /// </summary>
    public const int ConfigurationError = 1;

    /// <summary>The command line could not be parsed (unknown option, bad value).</summary>
    public const int UsageError = 2;

    /// <summary>
    /// The host refused something the daemon needs that is not in the rule file: the pid file or a
    /// log file cannot be written, or the kernel refused the drop to <c>user.unprivileged</c>
    /// (root without CAP_SETUID/CAP_SETGID, an unmapped user namespace, a seccomp filter).
    /// </summary>
    public const int EnvironmentError = 3;

    /// <summary>An unexpected failure inside Bouncer; the message on stderr is a bug report.</summary>
    public const int InternalError = 70;
}
