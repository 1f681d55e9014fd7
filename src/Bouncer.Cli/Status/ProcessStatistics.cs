using System.Buffers.Text;
using System.IO.Enumeration;
using Bouncer.Engine.Net;
using Microsoft.Win32.SafeHandles;

namespace Bouncer.Cli.Status;

/// <summary>
/// The process metrics Prometheus' own clients export under the standard names (open and maximum
/// descriptors, resident memory, CPU seconds), read from <c>/proc/self</c>, getrlimit and the
/// runtime at scrape time, into stack buffers, so a scrape leaves next to no garbage (in a daemon
/// that otherwise allocates nothing, garbage only grows the heap until the first collection).
/// prometheus-net's DotNetStats is not used: it names descriptors <c>process_open_handles</c>,
/// which the usual dashboards do not know, and adds .NET GC series.
/// </summary>
internal static class ProcessStatistics
{
    private static readonly long s_pageSize = Environment.SystemPageSize;

    /// <summary>Open descriptors: the entries of /proc/self/fd, less the one that reads the directory; -1 when unreadable.</summary>
    public static long OpenDescriptors()
    {
        try
        {
            // A transform without a name string: only the enumerator's buffer is allocated.
            var entries = new FileSystemEnumerable<bool>("/proc/self/fd", static (ref FileSystemEntry _) => true);
            long count = 0;
            foreach (var _ in entries)
            {
                count++;
            }

            return Math.Max(0, count - 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The soft limit on descriptors; -1 when there is none.</summary>
    public static long MaxDescriptors() => DescriptorLimit.Current() is var limit && limit != long.MaxValue ? limit : -1;

    /// <summary>Resident memory in bytes: the second field of /proc/self/statm, in pages; -1 when unreadable.</summary>
    public static long ResidentBytes()
    {
        Span<byte> buffer = stackalloc byte[256];
        var text = Read("/proc/self/statm", buffer);
        var space = text.IndexOf((byte)' ');
        return space >= 0 && Utf8Parser.TryParse(text[(space + 1)..], out long pages, out _) ? pages * s_pageSize : -1;
    }

    /// <summary>User and system CPU time the process has used.</summary>
    public static TimeSpan CpuTime() => Environment.CpuUsage.TotalTime;

    /// <summary>As much of a /proc file as fits in <paramref name="buffer"/>; empty when it cannot be read.</summary>
    private static ReadOnlySpan<byte> Read(string path, Span<byte> buffer)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path);
            var length = 0;
            int read;
            while (length < buffer.Length && (read = RandomAccess.Read(file, buffer[length..], length)) > 0)
            {
                length += read;
            }

            return buffer[..length];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
