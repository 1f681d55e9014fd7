using System.Globalization;

namespace Bouncer.Cli.Status;

/// <summary>
/// The process metrics Prometheus' own clients export under the standard names (open and maximum
/// descriptors, resident memory, CPU seconds), read from <c>/proc/self</c> and the runtime at
/// scrape time. prometheus-net's DotNetStats is not used: it names descriptors
/// <c>process_open_handles</c>, which the usual dashboards do not know, and adds .NET GC series.
/// </summary>
internal static class ProcessStatistics
{
    private static readonly long s_pageSize = Environment.SystemPageSize;

    /// <summary>Open descriptors: the entries of /proc/self/fd (one of them is the directory being read).</summary>
    public static long OpenDescriptors()
    {
        try
        {
            return Math.Max(0, Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() - 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The soft limit on descriptors ("Max open files" of /proc/self/limits).</summary>
    public static long MaxDescriptors()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : -1;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Reported as -1 below.
        }

        return -1;
    }

    /// <summary>Resident memory in bytes: the second field of /proc/self/statm, in pages.</summary>
    public static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
                ? pages * s_pageSize
                : -1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Environment.WorkingSet;
        }
    }

    /// <summary>User and system CPU time the process has used.</summary>
    public static TimeSpan CpuTime() => Environment.CpuUsage.TotalTime;
}
