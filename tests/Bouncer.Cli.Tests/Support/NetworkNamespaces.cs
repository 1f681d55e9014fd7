using System.Diagnostics;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// What tests that build networks in namespaces (with samples/lib/netns.sh) need from the host:
/// whether namespaces can be made here, and removing whatever a run left behind, by name prefix
/// and by the PIDs inside, also after a failed or killed run.
/// </summary>
internal static class NetworkNamespaces
{
    private static readonly Lazy<string?> Unavailable = new(FindWhyUnavailable);

    /// <summary>Null when namespaces can be made; otherwise why not, for a skipped test.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>Kills every process in, and removes, each namespace whose name starts with <paramref name="prefix"/>.</summary>
    public static void RemoveAll(string prefix)
    {
        var (_, list) = Run("ip", "netns", "list");
        foreach (var name in list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]))
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var (_, pids) = Run("ip", "netns", "pids", name);
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                    process.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }

            Run("ip", "netns", "del", name);
        }
    }

    /// <summary>Names of the namespaces that start with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> List(string prefix) =>
        [.. Run("ip", "netns", "list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];

    private static string? FindWhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (Environment.UserName != "root")
        {
            return "network namespaces need root";
        }

        var probe = $"bouncer-probe-{Environment.ProcessId}";
        try
        {
            if (Run("ip", "netns", "add", probe).Status != 0)
            {
                return "'ip netns add' failed: no namespace support or capability here";
            }

            Run("ip", "netns", "del", probe);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "'ip' (Debian package iproute2) is not installed";
        }

        try
        {
            Run("python3", "-c", "pass");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "python3 (Debian package python3-minimal) is not installed; the demo's services and clients are written in it";
        }

        return null;
    }

    /// <summary>
    /// A new namespace <paramref name="name"/> (one a killed run left behind is removed first) with
    /// its loopback up, and <paramref name="setUp"/> run there (each an `ip` command after
    /// `ip -n NAME`); false when any step failed.
    /// </summary>
    public static bool Create(string name, params string[][] setUp)
    {
        RemoveAll(name);
        return Run("ip", "netns", "add", name).Status == 0
            && Run("ip", "-n", name, "link", "set", "lo", "up").Status == 0
            && setUp.All(command => Run("ip", ["-n", name, .. command]).Status == 0);
    }

    /// <summary>Makes a process start inside namespace <paramref name="name"/>, keeping its pid (ip netns exec executes the program).</summary>
    public static Action<ProcessStartInfo> Wrap(string name) => start =>
    {
        var program = start.FileName;
        start.FileName = "ip";
        start.ArgumentList.Insert(0, "netns");
        start.ArgumentList.Insert(1, "exec");
        start.ArgumentList.Insert(2, name);
        start.ArgumentList.Insert(3, program);
    };

    /// <summary>Runs <paramref name="command"/> inside namespace <paramref name="name"/> (at most 60 s); its status and output.</summary>
    public static async Task<(int Status, string Output)> RunInAsync(string name, params string[] command)
    {
        var start = new ProcessStartInfo("ip");
        foreach (var arg in new[] { "netns", "exec", name }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        var (status, output, _) = await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60));
        return (status ?? -1, output);
    }

    internal static (int Status, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
        }

        return (process.ExitCode, output.Result);
    }
}

/// <summary>A theory that is skipped, with the reason, where network namespaces cannot be made.</summary>
public sealed class NetworkNamespaceTheoryAttribute : TheoryAttribute
{
    public NetworkNamespaceTheoryAttribute()
    {
        if (NetworkNamespaces.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact that is skipped, with the reason, where network namespaces cannot be made.</summary>
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute()
    {
        if (NetworkNamespaces.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}
