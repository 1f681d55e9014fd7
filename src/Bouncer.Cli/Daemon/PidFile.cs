using System.Globalization;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The pid file (<c>-p</c>): written once the listeners are bound, so its presence means "serving";
/// removed at exit. A stale file from a crashed run is simply replaced. Written to a temporary file
/// and renamed, so a reader never sees a half-written number.
/// </summary>
public sealed class PidFile : IDisposable
{
    private readonly string _content;

    private PidFile(string path, string content)
    {
        Path = path;
        _content = content;
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="processId"/>; throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it cannot.</summary>
    public static PidFile Create(string path, int processId)
    {
        var content = processId.ToString(CultureInfo.InvariantCulture) + "\n";
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
        return new PidFile(path, content);
    }

    /// <summary>Removes the file unless another process has written its own pid there since.</summary>
    public void Dispose()
    {
        try
        {
            if (File.Exists(Path) && File.ReadAllText(Path) == _content)
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
            // Leaving a stale pid file behind is harmless: the next start replaces it.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
