namespace Bouncer.Cli.Daemon;

/// <summary>
/// The process's user and group identity, as <see cref="PrivilegeDrop"/> reads and changes it: a
/// thin layer over libc so the drop's order and checks can be tested without root.
/// <see cref="ProcessCredentials"/> is the real process. The setters return 0 or an errno value.
/// </summary>
public interface IProcessCredentials
{
    /// <summary>
    /// True where the setters change every thread of the process at once: Linux, where glibc and
    /// musl apply setgroups/setresgid/setresuid to all threads (the runtime has several).
    /// </summary>
    bool CanDropPrivileges { get; }

    /// <summary>Effective user id 0.</summary>
    bool IsRoot { get; }

    /// <summary>The effective user id; null where there is none (Windows).</summary>
    uint? EffectiveUserId { get; }

    /// <summary>Null when the host has no such user; throws <see cref="IOException"/> when the lookup itself fails.</summary>
    UnixUser? FindUser(string name);

    /// <summary>setgroups(2) with the one group <paramref name="groupId"/>.</summary>
    int SetGroups(uint groupId);

    /// <summary>setresgid(2): real, effective and saved group id.</summary>
    int SetGroupIds(uint groupId);

    /// <summary>setresuid(2): real, effective and saved user id.</summary>
    int SetUserIds(uint userId);

    /// <summary>getresuid(2): real, effective, saved.</summary>
    IReadOnlyList<uint> UserIds();

    /// <summary>getresgid(2): real, effective, saved.</summary>
    IReadOnlyList<uint> GroupIds();

    /// <summary>getgroups(2).</summary>
    IReadOnlyList<uint> SupplementaryGroups();

    /// <summary>Every thread's identity from <c>/proc/self/task</c>; null when it cannot be read (no /proc).</summary>
    IReadOnlyList<ThreadCredentials>? Threads();
}
