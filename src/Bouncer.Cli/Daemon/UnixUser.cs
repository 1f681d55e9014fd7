namespace Bouncer.Cli.Daemon;

/// <summary>A user of the host as its password database gives it: the ids the daemon drops to.</summary>
public sealed record UnixUser(string Name, uint UserId, uint GroupId)
{
    public override string ToString() => $"{Name} (uid {UserId}, gid {GroupId})";
}
