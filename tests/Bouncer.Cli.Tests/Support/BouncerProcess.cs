using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// Runs <c>bouncer</c> as a child process: the built assembly that the project reference copies next
/// to the tests, or the executable <see cref="BouncerStartInfo"/> is told to use.
/// </summary>
internal sealed class BouncerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private BouncerProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public static BouncerProcess Start(params string[] args)
    {
        var start = BouncerStartInfo.For(args);
        return new BouncerProcess(Process.Start(start)!);
    }

    /// <summary>Exit code, stdout and stderr; kills the process if it runs longer than <paramref name="timeout"/>.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> WaitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bouncer did not exit within {timeout}");
        }

        return (_process.ExitCode, await _stdout, await _stderr);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = Start(args);
        return await process.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
