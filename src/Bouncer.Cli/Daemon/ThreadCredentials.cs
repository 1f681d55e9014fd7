using System.Globalization;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// One thread's identity as the kernel reports it in <c>/proc/self/task/TID/status</c>: the four
/// user ids and four group ids (real, effective, saved, filesystem), the supplementary groups, and
/// whether any capability is left in its permitted, effective or ambient set. Credentials are per
/// thread in Linux, so this is how the daemon sees that a drop reached every thread.
/// </summary>
public sealed record ThreadCredentials(
    string Thread,
    IReadOnlyList<uint> UserIds,
    IReadOnlyList<uint> GroupIds,
    IReadOnlyList<uint> Groups,
    bool HoldsCapabilities)
{
    /// <summary>
    /// Reads the <c>Uid:</c>, <c>Gid:</c>, <c>Groups:</c> and <c>Cap*:</c> lines of a status file; null
    /// when one is missing or malformed (<c>CapAmb:</c> may be missing: kernels before 4.3 have none).
    /// </summary>
    public static ThreadCredentials? Parse(string thread, string status)
    {
        IReadOnlyList<uint>? users = null, groups = null, supplementary = null;
        ulong capabilities = 0;
        var capabilityLines = 0;
        foreach (var line in status.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var value = line[(colon + 1)..];
            switch (line[..colon])
            {
                case "Uid":
                    users = Numbers(value);
                    break;
                case "Gid":
                    groups = Numbers(value);
                    break;
                case "Groups":
                    supplementary = Numbers(value);
                    break;
                case "CapPrm" or "CapEff" or "CapAmb":
                    if (!ulong.TryParse(value.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var set))
                    {
                        return null;
                    }

                    capabilities |= set;
                    capabilityLines++;
                    break;
                default:
                    break;
            }
        }

        return users is { Count: 4 } && groups is { Count: 4 } && supplementary is not null && capabilityLines >= 2
            ? new ThreadCredentials(thread, users, groups, supplementary, capabilities != 0)
            : null;
    }

    /// <summary>True when every id is <paramref name="user"/>'s and nothing else is held.</summary>
    public bool IsExactly(UnixUser user) =>
        UserIds.All(id => id == user.UserId)
        && GroupIds.All(id => id == user.GroupId)
        && Groups.Count == 1 && Groups[0] == user.GroupId
        && !HoldsCapabilities;

    public override string ToString() =>
        $"thread {Thread}: uid {string.Join(' ', UserIds)}, gid {string.Join(' ', GroupIds)}, " +
        $"groups [{string.Join(' ', Groups)}]{(HoldsCapabilities ? ", holds capabilities" : string.Empty)}";

    private static List<uint>? Numbers(string text)
    {
        var numbers = new List<uint>();
        foreach (var part in text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            numbers.Add(number);
        }

        return numbers;
    }
}
