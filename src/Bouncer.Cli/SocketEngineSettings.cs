namespace Bouncer.Cli;

/// <summary>
/// Sets up the runtime's socket engine for a forwarder: completions run on its epoll threads
/// instead of being queued to the thread pool, and there are half as many epoll threads as CPUs.
/// The engine reads both variables once, when the first socket starts async I/O, so they must be
/// set before anything opens a socket: first thing in <c>Main</c>. A variable already set in the
/// daemon's environment is left as it is, so an operator can choose otherwise.
/// </summary>
/// <remarks>
/// <para>
/// Inline completions, measured with tests/load/run.sh (quick runs, medians of three, same build):
/// UDP replies/s 28.3k → 44.5k, TCP connections/s 2,229 → 2,989, bulk and round-trip latency
/// unchanged within the noise. Every hand-off to the thread pool is a thread wake-up, which on a
/// busy machine waits for the scheduler; inline, an event is handled by the thread that saw it.
/// The cost: code after an awaited socket operation holds up the other sockets of that epoll
/// thread, so it must not block. The engine's continuations do not (sends are non-blocking,
/// connects and name lookups are awaited); the log sinks write synchronously, which is a write
/// to the page cache or a pipe, and only a stalled stdout reader could make that block.
/// </para>
/// <para>
/// Epoll threads: with inline completions the runtime starts one per CPU. Most of a forwarder's
/// time is the kernel's (about 90% under UDP load), and on loopback or a busy NIC the kernel's
/// packet processing needs CPUs of its own; threads that outnumber the CPUs left to them mostly
/// wake each other. On two CPUs one thread instead of two cut the UDP relay's context switches
/// from about 9,500 to 2,300 a second and raised its rate by a fifth (see docs/performance.md).
/// </para>
/// </remarks>
internal static class SocketEngineSettings
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string ThreadCount = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Epoll threads by default: half the CPUs, at least one.</summary>
    public static int DefaultThreadCount => Math.Max(1, Environment.ProcessorCount / 2);

    public static void Apply()
    {
        SetUnlessSet(InlineCompletions, "1");
        SetUnlessSet(ThreadCount, DefaultThreadCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void SetUnlessSet(string variable, string value)
    {
        if (Environment.GetEnvironmentVariable(variable) is null)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }
}
