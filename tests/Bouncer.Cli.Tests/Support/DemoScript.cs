using System.Diagnostics;
using System.Globalization;
using System.Text;
using Bouncer.Tests.Shared;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// Runs one of the demo scripts under samples/ (the site move, the failover) with the bouncer these
/// tests run: <c>BOUNCER_EXECUTABLE</c> when set, else the built <c>bouncer.dll</c>.
/// </summary>
internal static class DemoScript
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The script's stdout and stderr; fails the test when it exits non-zero or takes longer than
    /// 90 s (then SIGTERM lets the script's trap remove its namespaces and processes).
    /// </summary>
    /// <param name="script">The script's path below samples/, such as <c>ha/run-demo.sh</c>.</param>
    /// <param name="environment">Variables for the script on top of <c>BOUNCER</c>.</param>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "samples", script));
        var executable = Environment.GetEnvironmentVariable("BOUNCER_EXECUTABLE");
        start.Environment["BOUNCER"] = string.IsNullOrEmpty(executable)
            ? $"{Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet"} {Path.Combine(AppContext.BaseDirectory, "bouncer.dll")}"
            : Path.GetFullPath(executable);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The test's Dispose removes whatever the trap could not.
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit(5000);
            process.WaitForExit(15_000);
            throw new TimeoutException($"{script} did not finish within {Limit}:\n{await stdout}\n{await stderr}");
        }

        var text = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
        Assert.True(process.ExitCode == 0, $"{script} exited with {process.ExitCode}:\n{text}");
        return text;
    }
}
