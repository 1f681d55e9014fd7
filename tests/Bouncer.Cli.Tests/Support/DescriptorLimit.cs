using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// Starts a process under a lower open-descriptor limit (RLIMIT_NOFILE, soft and hard) with
/// util-linux's <c>prlimit</c>, which sets the limit and then executes the command, so the process
/// keeps its id and signals reach it as before. Whatever <see cref="BouncerStartInfo"/> chose to
/// run (the assembly through dotnet, or a native binary) is what runs under the limit.
/// </summary>
internal static class DescriptorLimit
{
    public static Action<ProcessStartInfo> Of(int limit) => start =>
    {
        var program = start.FileName;
        start.FileName = "prlimit";
        start.ArgumentList.Insert(0, $"--nofile={limit}:{limit}");
        start.ArgumentList.Insert(1, "--");
        start.ArgumentList.Insert(2, program);
    };
}
