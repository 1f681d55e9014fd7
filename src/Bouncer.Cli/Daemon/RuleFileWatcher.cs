using System.Threading.Channels;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>--watch</c>: posts <see cref="DaemonCommand.Reload"/> when the rule file is written, created or
/// renamed into place (editors and config management replace files). Bursts are merged by the runner.
/// </summary>
public sealed class RuleFileWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;

    public RuleFileWatcher(string path, ChannelWriter<DaemonCommand> commands)
    {
        var full = Path.GetFullPath(path);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => commands.TryWrite(DaemonCommand.Reload);
        _watcher.Created += (_, _) => commands.TryWrite(DaemonCommand.Reload);
        _watcher.Renamed += (_, _) => commands.TryWrite(DaemonCommand.Reload);
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose() => _watcher.Dispose();
}
