using System.Threading.Channels;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>--watch</c>: posts <see cref="DaemonCommand.Reload"/> once the rule file has been written,
/// created or renamed into place and then left alone for <see cref="QuietPeriod"/>. Editors and
/// configuration tools write a file in several steps (truncate and write, or write a temporary
/// file and rename it over the old one, or rename the old one away first); reloading at the first
/// event would read a half-written file and log errors for it. The directory is watched, not the
/// file, so a file replaced by a rename is still seen.
/// </summary>
public sealed class RuleFileWatcher : IDisposable
{
    /// <summary>How long the file must be left alone before it is read.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(200);

    private readonly FileSystemWatcher _watcher;
    private readonly ITimer _quiet;

    public RuleFileWatcher(string path, ChannelWriter<DaemonCommand> commands, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(time);
        var full = Path.GetFullPath(path);
        _quiet = time.CreateTimer(_ => commands.TryWrite(DaemonCommand.Reload), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };

        // Each event restarts the quiet period; the reload is posted when it runs out.
        _watcher.Changed += (_, _) => Touched();
        _watcher.Created += (_, _) => Touched();
        _watcher.Renamed += (_, _) => Touched();
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _quiet.Dispose();
    }

    private void Touched()
    {
        try
        {
            _quiet.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // An event raced the shutdown; there is nothing left to reload.
        }
    }
}
