using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>How the tests start the built <c>bouncer</c> assembly, as a user would: <c>dotnet bouncer.dll ARGS</c>.</summary>
internal static class BouncerStartInfo
{
    /// <summary>Redirected output, and no <c>NOTIFY_SOCKET</c> inherited from the test host.</summary>
    public static ProcessStartInfo For(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bouncer.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        return start;
    }
}
