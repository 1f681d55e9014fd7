using System.Runtime.CompilerServices;

namespace Bouncer.Engine.Tests.Support;

/// <summary>
/// The test host blocks thread-pool threads while it starts tests, and the pool adds threads only
/// slowly (about two a second), so early in a run timers fired up to 800 ms late: measured with a
/// bare <c>BandwidthLimiter</c> and two senders, 3.8 s instead of 3.0 s for 3 MB at 1 MB/s. The
/// daemon does not block pool threads; the tests get the headroom it has.
/// </summary>
internal static class ThreadPoolHeadroom
{
    [ModuleInitializer]
    internal static void Raise()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(completionPorts, 32));
    }
}
