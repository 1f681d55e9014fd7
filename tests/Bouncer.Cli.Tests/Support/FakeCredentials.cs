using Bouncer.Cli.Daemon;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A process identity that only pretends: the privilege drop's calls change these fields, so its
/// order and checks can be tested without root, and a test host that runs as root keeps its ids.
/// </summary>
internal sealed class FakeCredentials : IProcessCredentials
{
    public const int NotPermitted = 1;

    private uint _userId;
    private uint _groupId;
    private uint[] _groups;

    public FakeCredentials(uint userId = 1000, uint groupId = 1000)
    {
        _userId = userId;
        _groupId = groupId;
        _groups = [groupId, 4, 27];
    }

    public static UnixUser Nobody { get; } = new("nobody", 65534, 65534);

    public bool CanDropPrivileges { get; set; } = true;

    public bool IsRoot => _userId == 0;

    public uint? EffectiveUserId => _userId;

    public Dictionary<string, UnixUser> Users { get; } = new() { ["nobody"] = Nobody, ["root"] = new("root", 0, 0) };

    /// <summary>The calls made, in order, as "setgroups 65534".</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Call names ("setgroups", "setresgid", "setresuid") that fail with EPERM.</summary>
    public HashSet<string> Refused { get; } = [];

    /// <summary>setresuid(0) works even after the drop, as it would with a kept CAP_SETUID.</summary>
    public bool RootComesBack { get; set; }

    /// <summary>A thread the drop did not reach, as the kernel would show it.</summary>
    public ThreadCredentials? LeftBehind { get; set; }

    public bool HasProc { get; set; } = true;

    public UnixUser? FindUser(string name) => Users.GetValueOrDefault(name);

    public int SetGroups(uint groupId) => Do("setgroups", groupId, _userId == 0, () => _groups = [groupId]);

    public int SetGroupIds(uint groupId) => Do("setresgid", groupId, _userId == 0, () => _groupId = groupId);

    public int SetUserIds(uint userId) => Do("setresuid", userId, _userId == 0 || RootComesBack, () => _userId = userId);

    public IReadOnlyList<uint> UserIds() => [_userId, _userId, _userId];

    public IReadOnlyList<uint> GroupIds() => [_groupId, _groupId, _groupId];

    public IReadOnlyList<uint> SupplementaryGroups() => _groups;

    public IReadOnlyList<ThreadCredentials>? Threads()
    {
        if (!HasProc)
        {
            return null;
        }

        var main = new ThreadCredentials("100", [_userId, _userId, _userId, _userId], [_groupId, _groupId, _groupId, _groupId], _groups, _userId == 0);
        return LeftBehind is null ? [main] : [main, LeftBehind];
    }

    private int Do(string call, uint id, bool permitted, Action change)
    {
        Calls.Add($"{call} {id}");
        if (Refused.Contains(call) || !permitted)
        {
            return NotPermitted;
        }

        change();
        return 0;
    }
}
