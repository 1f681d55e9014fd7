using System.Globalization;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>What /proc says about a running daemon: open descriptors and resident memory.</summary>
internal static class DaemonMeasures
{
    public static int OpenDescriptors(DaemonProcess bouncer) =>
        Directory.EnumerateFileSystemEntries($"/proc/{bouncer.Id}/fd").Count();

    /// <summary>Resident set size in KiB (VmRSS of /proc/PID/status).</summary>
    public static long ResidentKiB(DaemonProcess bouncer)
    {
        foreach (var line in File.ReadLines($"/proc/{bouncer.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no VmRSS for {bouncer.Id}");
    }

    /// <summary>
    /// Waits until the daemon holds at most <paramref name="most"/> descriptors (80 looks, 250 ms
    /// apart); returns the count seen last.
    /// </summary>
    public static async Task<int> WaitForDescriptorsAsync(DaemonProcess bouncer, int most)
    {
        var open = OpenDescriptors(bouncer);
        for (var look = 0; look < 80 && open > most; look++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            open = OpenDescriptors(bouncer);
        }

        return open;
    }
}
