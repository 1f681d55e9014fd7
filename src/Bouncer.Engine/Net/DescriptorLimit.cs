using System.Runtime.InteropServices;

namespace Bouncer.Engine.Net;

/// <summary>The process's soft limit on open descriptors (RLIMIT_NOFILE), as it stands now.</summary>
public static partial class DescriptorLimit
{
    private const int ResourceNoFile = 7; // RLIMIT_NOFILE on Linux

    /// <summary>The soft limit; <see cref="long.MaxValue"/> when there is none, or none to read (other systems).</summary>
    public static long Current()
    {
        if (!OperatingSystem.IsLinux() || GetLimit(ResourceNoFile, out var limit) != 0 || limit.Current > long.MaxValue)
        {
            return long.MaxValue;
        }

        return (long)limit.Current;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetLimit(int resource, out ResourceLimit limit);

    /// <summary>struct rlimit: rlim_t is an unsigned long.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public nuint Current;
        public nuint Maximum;
    }
}
