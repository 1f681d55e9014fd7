namespace Bouncer.Cli;

/// <summary>
/// Makes the runtime's socket engine run completions on its epoll threads instead of queueing each
/// one to the thread pool. The engine reads the variable once, when the first socket starts async
/// I/O, so it must be set before anything opens a socket: first thing in <c>Main</c>.
/// </summary>
/// <remarks>
/// Every hand-off to the thread pool is a thread wake-up, which on a busy machine waits for the
/// scheduler; inline, an event is handled by the thread that saw it (its effect on UDP replies
/// and TCP connections per second: docs/performance.md).
/// <para>
/// The cost: code after an awaited socket operation holds up the other sockets of that epoll
/// thread, so it must not block. The engine's continuations do not (sends are non-blocking,
/// connects and name lookups are awaited); the log sinks write synchronously, which is a write
/// to the page cache or a pipe, and only a stalled stdout reader could make that block. Setting
/// the variable (to 0) in the daemon's environment keeps the runtime's default.
/// </para>
/// </remarks>
internal static class InlineSocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
