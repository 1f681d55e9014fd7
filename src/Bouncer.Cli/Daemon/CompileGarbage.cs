namespace Bouncer.Cli.Daemon;

/// <summary>
/// After each compile, once its table is in force (and a reload's time taken), one full
/// collection takes the compile's garbage and the table it replaced. Left to the runtime, they
/// would go in a full blocking collection in the middle of the next reload's compile, with that
/// compile's data alive too, which makes reloads slower and the process larger
/// (docs/performance.md, "Reloads"). Forwarding stops for this collection, in place of the
/// longer one it saves; not compacting keeps it short.
/// </summary>
internal static class CompileGarbage
{
    public static void Collect() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
}
