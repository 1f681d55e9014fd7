using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// <c>bouncer</c> (see <see cref="BouncerStartInfo"/>) running as a daemon: its log (stderr) is
/// collected line by line so a test can wait for a line, signals are sent with kill(2), and the
/// process is always killed on dispose. Every wait is bounded.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    public const int SigHup = 1;
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;

    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();

    private DaemonProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written to stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines) + "\n";
            }
        }
    }

    /// <param name="environment">Variables set for the daemon on top of the test host's.</param>
    /// <param name="readLog">False: nobody reads stderr until <see cref="StartReadingLog"/>, as with a stuck journald or a paused pager.</param>
    /// <param name="wrap">Changes how the daemon is started, for example under a descriptor limit (<see cref="DescriptorLimit"/>).</param>
    public static DaemonProcess Start(
        IEnumerable<string> args,
        string? notifySocket = null,
        IReadOnlyDictionary<string, string>? environment = null,
        bool readLog = true,
        Action<ProcessStartInfo>? wrap = null)
    {
        var start = BouncerStartInfo.For(args);
        wrap?.Invoke(start);
        if (notifySocket is not null)
        {
            start.Environment["NOTIFY_SOCKET"] = notifySocket;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (daemon._lines)
                {
                    daemon._lines.Add(e.Data);
                }
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (daemon._stdout)
            {
                daemon._stdout.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        if (readLog)
        {
            process.BeginErrorReadLine();
        }

        return daemon;
    }

    /// <summary>Starts collecting stderr of a daemon started with <c>readLog: false</c>.</summary>
    public void StartReadingLog() => _process.BeginErrorReadLine();

    /// <summary>Sends <paramref name="signal"/> to the daemon.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Lines of the log containing <paramref name="text"/>.</summary>
    public int Count(string text)
    {
        lock (_lines)
        {
            return _lines.Count(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits until the log has at least <paramref name="count"/> lines containing <paramref name="text"/>; returns the last one.</summary>
    public async Task<string> WaitForLineAsync(string text, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultWait;
        while (deadline.Elapsed < limit)
        {
            if (FindLine(text, count) is { } line)
            {
                return line;
            }

            if (_process.HasExited)
            {
                // Its last lines may still be on their way through the pipe: read to the end, then look once more.
                using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(drained.Token);
                return FindLine(text, count)
                    ?? throw new InvalidOperationException($"bouncer exited with {_process.ExitCode} before logging '{text}':\n{Log}");
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"no log line with '{text}' (x{count}) within {limit}:\n{Log}");
    }

    /// <summary>The <paramref name="count"/>th line containing <paramref name="text"/> so far, or null.</summary>
    private string? FindLine(string text, int count)
    {
        lock (_lines)
        {
            return _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).Skip(count - 1).FirstOrDefault();
        }
    }

    /// <summary>Waits for the daemon's start line, written once every listener is bound and the pid file written.</summary>
    public Task WaitUntilServingAsync() => WaitForLineAsync("info: bouncer ");

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
