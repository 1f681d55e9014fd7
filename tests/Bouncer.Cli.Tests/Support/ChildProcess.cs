using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>Runs a short-lived command to its end, bounded in time: killed (with its children) when it takes too long.</summary>
internal static class ChildProcess
{
    /// <returns>Exit status (null when it was killed for taking longer than <paramref name="limit"/>), stdout then stderr, and the wall time.</returns>
    public static async Task<(int? Status, string Output, TimeSpan Took)> RunAsync(ProcessStartInfo start, TimeSpan limit)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        int? status;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            status = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            status = null;
        }

        return (status, await stdout + await stderr, clock.Elapsed);
    }
}
