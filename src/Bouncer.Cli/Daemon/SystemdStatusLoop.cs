namespace Bouncer.Cli.Daemon;

/// <summary>
/// Keeps systemd's STATUS= line (what <c>systemctl status</c> shows) current while serving: every
/// few seconds it sends the status again when it has changed. Runs only when sd_notify is enabled.
/// </summary>
internal sealed class SystemdStatusLoop
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly SystemdNotifier _notifier;
    private readonly Func<string> _status;
    private readonly TimeProvider _time;

    public SystemdStatusLoop(SystemdNotifier notifier, Func<string> status, TimeProvider time)
    {
        _time = time;
        _notifier = notifier;
        _status = status;
    }

    public async Task RunAsync(string initial, CancellationToken cancellationToken)
    {
        var last = initial;
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var status = _status();
                if (status != last && _notifier.Status(status))
                {
                    last = status;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the runner sends STOPPING=1 itself.
        }
    }
}
