namespace Bouncer.Cli.Report;

/// <summary>
/// One log file followed by name, as <c>tail -F</c> does: reads what is appended, starts again at
/// the top when the file is truncated (logrotate's <c>copytruncate</c>), and when the name comes to
/// mean another file (logrotate renamed ours away and the daemon made a new one) keeps reading the
/// old file for a while (the daemon writes there until its HUP reopens the log) and opens the new one.
/// </summary>
public sealed class FollowedFile : IDisposable
{
    /// <summary>How long a renamed file is still read after it last grew.</summary>
    public static readonly TimeSpan DrainAfterRename = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private readonly List<(FileStream Stream, LineSplitter Lines, DateTime LastGrowth)> _renamed = [];
    private FileStream? _stream;
    private LineSplitter? _lines;
    private string? _identity;

    /// <summary>Follows <paramref name="path"/> from where <paramref name="stream"/> and <paramref name="lines"/> have read to.</summary>
    public FollowedFile(string path, FileStream stream, LineSplitter lines)
    {
        _path = path;
        _stream = stream;
        _lines = lines;
        _identity = IdentityOf(stream);
    }

    public string Path => _path;

    /// <summary>Reads what was added since the last call; returns whether anything was.</summary>
    public bool Poll(ILineConsumer consumer, DateTime now)
    {
        var any = false;
        for (var i = _renamed.Count - 1; i >= 0; i--)
        {
            var (stream, lines, lastGrowth) = _renamed[i];
            if (lines.ReadAvailable(consumer))
            {
                any = true;
                _renamed[i] = (stream, lines, now);
            }
            else if (now - lastGrowth > DrainAfterRename)
            {
                lines.Finish(consumer);
                stream.Dispose();
                _renamed.RemoveAt(i);
            }
        }

        if (_stream is null || _lines is null)
        {
            return TryOpen(consumer) | any;
        }

        any |= _lines.ReadAvailable(consumer);
        if (_stream.Length < _stream.Position)
        {
            // Truncated in place: what is there now was written after the cut.
            _stream.Position = 0;
            _lines.Reset();
            any |= _lines.ReadAvailable(consumer);
        }
        else if (IsRenamed())
        {
            _renamed.Add((_stream, _lines, now));
            _stream = null;
            _lines = null;
            any |= TryOpen(consumer);
        }

        return any;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        foreach (var (stream, _, _) in _renamed)
        {
            stream.Dispose();
        }

        _renamed.Clear();
    }

    /// <summary>Opens the file the name means now (from its start); false while there is none yet.</summary>
    private bool TryOpen(ILineConsumer consumer)
    {
        try
        {
            _stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return false;
        }

        _identity = IdentityOf(_stream);
        _lines = new LineSplitter(_stream);
        return _lines.ReadAvailable(consumer);
    }

    /// <summary>
    /// Whether the name now leads elsewhere. On Linux the kernel names the open file in
    /// <c>/proc/self/fd</c>, and that name changes when the file is renamed or deleted; elsewhere a
    /// name whose file is shorter than what was read is taken as a new file.
    /// </summary>
    private bool IsRenamed()
    {
        if (_identity is not null)
        {
            return IdentityOf(_stream!) != _identity;
        }

        try
        {
            var now = new FileInfo(_path);
            return now.Exists && now.Length < _stream!.Position;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? IdentityOf(FileStream stream)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var descriptor = stream.SafeFileHandle.DangerousGetHandle().ToInt64();
            return new FileInfo($"/proc/self/fd/{descriptor}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
