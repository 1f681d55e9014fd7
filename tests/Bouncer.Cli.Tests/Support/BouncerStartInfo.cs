using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// How the tests start <c>bouncer</c> as a user would: by default the built assembly as
/// <c>dotnet bouncer.dll ARGS</c>; with <see cref="ExecutableVariable"/> set, that executable
/// (the published native binary) as <c>PATH ARGS</c>.
/// </summary>
/// <remarks>
/// The native binary is the shipped form, but only <c>dotnet publish</c> makes it, so the ordinary
/// test run uses the framework-dependent build and CI reruns the tests that start a process
/// (trait <see cref="ProcessCategory"/>) against the published binary.
/// </remarks>
internal static class BouncerStartInfo
{
    /// <summary>Path of a <c>bouncer</c> executable to start instead of <c>dotnet bouncer.dll</c>.</summary>
    public const string ExecutableVariable = "BOUNCER_EXECUTABLE";

    /// <summary>
    /// Trait value (name <c>Category</c>) of every test class that starts <c>bouncer</c> as a child
    /// process, so <c>dotnet test --filter Category=Process</c> selects exactly them.
    /// </summary>
    public const string ProcessCategory = "Process";

    /// <summary>Redirected output, and no <c>NOTIFY_SOCKET</c> inherited from the test host.</summary>
    public static ProcessStartInfo For(IEnumerable<string> args)
    {
        var executable = Environment.GetEnvironmentVariable(ExecutableVariable);
        ProcessStartInfo start;
        if (string.IsNullOrEmpty(executable))
        {
            start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bouncer.dll"));
        }
        else
        {
            // A wrong path would otherwise show up as every process test failing on a missing log line.
            if (!File.Exists(executable))
            {
                throw new FileNotFoundException($"{ExecutableVariable} names no file", executable);
            }

            start = new ProcessStartInfo(Path.GetFullPath(executable));
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        return start;
    }
}
