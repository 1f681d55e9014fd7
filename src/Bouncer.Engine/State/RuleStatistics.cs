using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.State;

/// <summary>
/// Running counters of one rule: updated once when a session opens or ends (never per read or
/// datagram), with Interlocked, so counting costs the data path nothing.
/// </summary>
internal sealed class RuleStatistics
{
    private long _opened;
    private long _live;
    private long _refused;
    private long _failed;
    private long _bytesFromClients;
    private long _bytesFromTargets;

    /// <summary>A session passed, reached its target and is forwarding.</summary>
    public void Opened()
    {
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _live);
    }

    /// <summary>A session counted by <see cref="Opened"/> has ended with <paramref name="counters"/>.</summary>
    public void Closed(TrafficCounters counters)
    {
        Interlocked.Decrement(ref _live);
        Interlocked.Add(ref _bytesFromClients, counters.BytesFromClient);
        Interlocked.Add(ref _bytesFromTargets, counters.BytesFromTarget);
    }

    /// <summary>A client was turned away by the rule: a block, a session limit, a <c>srchost</c> check.</summary>
    public void Refused() => Interlocked.Increment(ref _refused);

    /// <summary>A passed client whose target could not be reached (refused, timed out, not resolved).</summary>
    public void Failed() => Interlocked.Increment(ref _failed);

    /// <summary>Counts a session that ended before it opened, by why it ended.</summary>
    public void NotOpened(EndReason reason)
    {
        if (reason is EndReason.Blocked or EndReason.SessionLimitReached)
        {
            Refused();
        }
        else
        {
            Failed();
        }
    }

    public RuleActivity Read(Rule rule) => new(
        rule,
        Interlocked.Read(ref _opened),
        Interlocked.Read(ref _live),
        Interlocked.Read(ref _refused),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _bytesFromClients),
        Interlocked.Read(ref _bytesFromTargets));
}
