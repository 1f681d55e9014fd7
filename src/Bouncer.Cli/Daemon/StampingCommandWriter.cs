using System.Threading.Channels;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The writer signals, the file watcher and tests post <see cref="DaemonCommand"/>s to: it stamps
/// each with the time of posting and passes it on as a <see cref="DaemonRequest"/>. The stamp is
/// taken in the signal handler's own call, the earliest point the process knows of the signal.
/// </summary>
internal sealed class StampingCommandWriter : ChannelWriter<DaemonCommand>
{
    private readonly ChannelWriter<DaemonRequest> _requests;
    private readonly TimeProvider _time;

    public StampingCommandWriter(ChannelWriter<DaemonRequest> requests, TimeProvider time)
    {
        _requests = requests;
        _time = time;
    }

    public override bool TryWrite(DaemonCommand item) =>
        _requests.TryWrite(new DaemonRequest(item, _time.GetTimestamp()));

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
        _requests.WaitToWriteAsync(cancellationToken);

    public override bool TryComplete(Exception? error = null) => _requests.TryComplete(error);
}
