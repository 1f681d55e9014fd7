using Bouncer.Engine.Events;
using Bouncer.Engine.State;

namespace Bouncer.Engine.Sessions;

/// <summary>A live session as the engine's housekeeping sees it, whatever its protocol.</summary>
internal interface ITrackedSession
{
    /// <summary>The whole life of the session; completes when it has ended and raised its Closed event.</summary>
    Task RunAsync();

    /// <summary>Called periodically: ends the session when one of its timeouts has passed.</summary>
    void Sweep(long now);

    /// <summary>Ends the session now with <paramref name="reason"/> (first reason wins).</summary>
    void Terminate(EndReason reason);

    /// <summary>
    /// The session as a state dump shows it, read from live counters without locking; null while
    /// it is still being matched or connected (it has no target yet) and once it has ended.
    /// </summary>
    LiveSession? Describe(long now);
}
