using System.Net.Sockets;
using System.Runtime.InteropServices;
using Bouncer.Engine;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// <c>user.unprivileged</c> (specification §5.4): a daemon started as root binds its listeners, opens its
/// log files and pid file, then becomes that user for good: setgroups to the user's one group,
/// setresgid, setresuid, all through libc so every thread changes. Then it checks the result
/// rather than trusting it: every id is the user's, root cannot be taken back, and no thread kept
/// root or a capability. Any failure stops the daemon; it never serves on as root.
/// </summary>
/// <remarks>
/// Nothing is kept, not even CAP_NET_BIND_SERVICE: Linux keeps capabilities across setuid only
/// for a thread that asked first (PR_SET_KEEPCAPS) and raises them again per thread (capset),
/// and neither call has a whole-process form. The runtime's threads cannot all be made to ask,
/// so some would keep the capability and some would not, and a reload's bind would work or fail
/// by which thread ran it. A reload that needs a new port below 1024 is refused instead, with
/// <see cref="ExplainBindFailure"/>'s words.
/// </remarks>
public sealed class PrivilegeDrop
{
    private readonly IProcessCredentials _credentials;

    public PrivilegeDrop(IProcessCredentials credentials)
    {
        _credentials = credentials;
    }

    /// <summary>Decides from the settings and who the process is; looks the user up so an unknown one fails before anything is bound.</summary>
    public PrivilegePlan Plan(UserSettings users)
    {
        if (users.Unprivileged is not { } name)
        {
            return PrivilegePlan.Nothing;
        }

        if (!_credentials.IsRoot)
        {
            return AlreadyThatUser(name)
                ? PrivilegePlan.Nothing
                : new PrivilegePlan { Notice = $"user.unprivileged: {name} has no effect: bouncer was not started as root{RunningAs()}" };
        }

        if (!_credentials.CanDropPrivileges)
        {
            return Refuse($"user.unprivileged: {name} is set and bouncer runs as root, but dropping to another user is implemented only on Linux; " +
                $"refusing to run as root (start bouncer as {name} instead, or remove the setting)");
        }

        UnixUser? user;
        try
        {
            user = _credentials.FindUser(name);
        }
        catch (IOException ex)
        {
            return Refuse($"user.unprivileged: cannot look up user '{name}': {ex.Message}; refusing to start as root");
        }

        if (user is null)
        {
            return Refuse($"user.unprivileged: no user '{name}' on this host; refusing to start as root");
        }

        return user.UserId == 0
            ? Refuse($"user.unprivileged: '{name}' has user id 0, so dropping to it would keep root; refusing to start")
            : new PrivilegePlan { DropTo = user };
    }

    /// <summary>
    /// Becomes <paramref name="user"/> and checks it. True: <paramref name="report"/> says what was
    /// checked. False: <paramref name="report"/> says which step failed; the caller must stop.
    /// </summary>
    public bool TryDrop(UnixUser user, out string report)
    {
        // Groups before the group ids before the user id: each step needs root, which the last one gives up.
        var failure = Step($"setgroups([{user.GroupId}])", _credentials.SetGroups(user.GroupId))
            ?? Step($"setresgid({user.GroupId})", _credentials.SetGroupIds(user.GroupId))
            ?? Step($"setresuid({user.UserId})", _credentials.SetUserIds(user.UserId));
        if (failure is null)
        {
            try
            {
                failure = Verify(user, out var threads);
                if (failure is null)
                {
                    var threadText = threads is { } count ? $"{Counted.Of(count, "thread")} checked" : "threads not checked (no /proc/self/task)";
                    report = $"now running as user {user} with no capabilities ({threadText}); " +
                        "ports below 1024 can no longer be bound, so a reload cannot add one";
                    return true;
                }
            }
            catch (IOException ex)
            {
                failure = $"cannot check the result: {ex.Message}";
            }
        }

        report = failure;
        return false;
    }

    /// <summary>
    /// After a drop, a reload's new listener on a port below 1024 fails with "permission denied";
    /// this says why and what to do instead. Null for any other bind failure.
    /// </summary>
    public static string? ExplainBindFailure(ListenerBindException failure, UnixUser dropped) =>
        failure is { Listener.Endpoint.Port: < 1024 and var port, InnerException: SocketException { SocketErrorCode: SocketError.AccessDenied } }
            ? $"{failure.Message}: binding port {port} below 1024 needs CAP_NET_BIND_SERVICE, which was dropped with " +
              $"user.unprivileged: {dropped.Name}; restart bouncer to bind it, or run it under systemd as that user with " +
              "AmbientCapabilities=CAP_NET_BIND_SERVICE instead of user.unprivileged"
            : null;

    private static PrivilegePlan Refuse(string why) => new() { Refusal = why };

    private static string? Step(string call, int error) =>
        error == 0 ? null : $"{call} failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})";

    /// <summary>Null when every check passed; <paramref name="threads"/> is how many threads the kernel showed, null without /proc.</summary>
    private string? Verify(UnixUser user, out int? threads)
    {
        threads = null;
        var userIds = _credentials.UserIds();
        if (userIds.Any(id => id != user.UserId))
        {
            return $"after the drop getresuid gives {string.Join(", ", userIds)}, not {user.UserId}";
        }

        var groupIds = _credentials.GroupIds();
        if (groupIds.Any(id => id != user.GroupId))
        {
            return $"after the drop getresgid gives {string.Join(", ", groupIds)}, not {user.GroupId}";
        }

        var groups = _credentials.SupplementaryGroups();
        if (groups.Any(id => id != user.GroupId))
        {
            return $"after the drop getgroups gives {string.Join(", ", groups)}, not only {user.GroupId}";
        }

        // The proof that root is gone: taking it back must fail. (If it succeeds the caller exits anyway.)
        if (_credentials.SetUserIds(0) == 0)
        {
            return "after the drop setresuid(0) still succeeds: the process could become root again";
        }

        // getresuid speaks for the calling thread only; the kernel's per-thread view shows that
        // libc's broadcast reached the runtime's other threads too.
        var all = _credentials.Threads();
        if (all?.FirstOrDefault(thread => !thread.IsExactly(user)) is { } behind)
        {
            return $"after the drop {behind}";
        }

        threads = all?.Count;
        return null;
    }

    private bool AlreadyThatUser(string name)
    {
        if (!_credentials.CanDropPrivileges || _credentials.EffectiveUserId is not { } current)
        {
            return false;
        }

        try
        {
            return _credentials.FindUser(name)?.UserId == current;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private string RunningAs() => _credentials.EffectiveUserId is { } id ? $" (it runs as uid {id})" : string.Empty;
}
