using System.Runtime.InteropServices;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// The real process's identity through libc. The setters go through glibc's (or musl's) wrappers,
/// never raw system calls: in Linux credentials belong to each thread, and the wrappers make every
/// thread of the process do the same call (glibc signals each one, and aborts the process if one
/// of them fails after the first succeeded), so no runtime thread is left behind as root.
/// </summary>
public sealed partial class ProcessCredentials : IProcessCredentials
{
    private const string TaskDirectory = "/proc/self/task";

    private ProcessCredentials()
    {
    }

    public static ProcessCredentials Instance { get; } = new();

    public bool CanDropPrivileges => OperatingSystem.IsLinux();

    public bool IsRoot => Environment.IsPrivilegedProcess;

    public uint? EffectiveUserId => OperatingSystem.IsWindows() ? null : GetEffectiveUserId();

    public UnixUser? FindUser(string name) => UnixUsers.Find(name);

    public int SetGroups(uint groupId) => Result(SetSupplementaryGroups(1, in groupId));

    public int SetGroupIds(uint groupId) => Result(SetResGid(groupId, groupId, groupId));

    public int SetUserIds(uint userId) => Result(SetResUid(userId, userId, userId));

    public IReadOnlyList<uint> UserIds() =>
        GetResUid(out var real, out var effective, out var saved) == 0
            ? [real, effective, saved]
            : throw new IOException($"getresuid failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    public IReadOnlyList<uint> GroupIds() =>
        GetResGid(out var real, out var effective, out var saved) == 0
            ? [real, effective, saved]
            : throw new IOException($"getresgid failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    public IReadOnlyList<uint> SupplementaryGroups()
    {
        var none = 0u;
        var count = GetGroups(0, ref none);
        var groups = new uint[Math.Max(count, 1)];
        count = count < 0 ? count : GetGroups(groups.Length, ref groups[0]);
        return count >= 0
            ? groups[..count]
            : throw new IOException($"getgroups failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    public IReadOnlyList<ThreadCredentials>? Threads()
    {
        string[] threads;
        try
        {
            threads = Directory.GetDirectories(TaskDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var result = new List<ThreadCredentials>(threads.Length);
        foreach (var thread in threads)
        {
            string status;
            try
            {
                status = File.ReadAllText(Path.Combine(thread, "status"));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The thread ended since the listing; a thread started since inherits the new ids.
                continue;
            }

            var name = Path.GetFileName(thread);
            result.Add(ThreadCredentials.Parse(name, status)
                ?? throw new IOException($"{thread}/status has no Uid:, Gid:, Groups: and Cap lines as expected"));
        }

        return result;
    }

    private static int Result(int returned) => returned == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    private static partial int SetSupplementaryGroups(nuint count, in uint groups);

    [LibraryImport("libc", EntryPoint = "getgroups", SetLastError = true)]
    private static partial int GetGroups(int count, ref uint groups);

    [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
    private static partial int SetResGid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
    private static partial int SetResUid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "getresgid", SetLastError = true)]
    private static partial int GetResGid(out uint real, out uint effective, out uint saved);

    [LibraryImport("libc", EntryPoint = "getresuid", SetLastError = true)]
    private static partial int GetResUid(out uint real, out uint effective, out uint saved);
}
