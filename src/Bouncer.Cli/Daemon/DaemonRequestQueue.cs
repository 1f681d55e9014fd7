using System.Threading.Channels;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The one queue everything that happens while serving arrives on (signals, <c>--watch</c>,
/// cancellation, tests), stamped with the time of posting. Read by one loop at a time: the command
/// loop, the reload's coalescing, or the drain's watch for a second stop.
/// </summary>
internal sealed class DaemonRequestQueue
{
    private readonly Channel<DaemonRequest> _requests = Channel.CreateUnbounded<DaemonRequest>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <param name="time">The clock the requests are stamped with.</param>
    public DaemonRequestQueue(TimeProvider time)
    {
        Commands = new StampingCommandWriter(_requests.Writer, time);
    }

    /// <summary>Where commands are posted.</summary>
    public ChannelWriter<DaemonCommand> Commands { get; }

    /// <summary>The next request, waiting for one.</summary>
    public ValueTask<DaemonRequest> ReadAsync() => _requests.Reader.ReadAsync(CancellationToken.None);

    /// <summary>
    /// Removes the waiting requests: when the earliest reload among them was posted, and whether a
    /// stop was among them; state dumps are put back.
    /// </summary>
    public (long? ReloadPostedAt, bool Stop) TakeWaitingReloadsAndStop()
    {
        long? reload = null;
        var stop = false;
        var queued = new List<DaemonRequest>();
        while (_requests.Reader.TryRead(out var next))
        {
            switch (next.Command)
            {
                case DaemonCommand.Reload:
                    reload = Math.Min(reload ?? next.PostedAt, next.PostedAt);
                    break;
                case DaemonCommand.Stop:
                    stop = true;
                    break;
                default:
                    queued.Add(next);
                    break;
            }
        }

        foreach (var request in queued)
        {
            _requests.Writer.TryWrite(request);
        }

        return (reload, stop);
    }

    /// <summary>Completes true when a stop arrives (other requests are dropped), false when <paramref name="cancellationToken"/> ends the wait.</summary>
    public async Task<bool> WaitForStopAsync(CancellationToken cancellationToken)
    {
        var reader = _requests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var request) && request.Command == DaemonCommand.Stop)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller no longer waits.
        }

        return false;
    }
}
