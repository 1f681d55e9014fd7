using System.Runtime.InteropServices;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// Takes SIGHUP back when the daemon was started with it ignored. <c>nohup</c>, and some
/// supervisors and shells, start a program so, and an ignored signal stays ignored across exec:
/// the runtime then never delivers it, and a reload by signal silently does nothing. For Bouncer
/// SIGHUP means reload, never hang up, so it restores the default action before registering its
/// own handler, and says that it did.
/// </summary>
internal static unsafe partial class InheritedHangupIgnore
{
    private const int SigHup = 1;
    private const nint DefaultAction = 0;
    private const nint Ignore = 1;

    /// <summary>Room for any libc's struct sigaction; its first member is the handler in all of Linux's.</summary>
    private const int SigactionSize = 256;

    /// <summary>Restores SIGHUP's default action if it was ignored; true when it was.</summary>
    public static bool Restore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        // Read first, change only an ignore: a handler already installed keeps its flags.
        var current = stackalloc byte[SigactionSize];
        if (SigAction(SigHup, null, current) != 0 || *(nint*)current != Ignore)
        {
            return false;
        }

        return Signal(SigHup, DefaultAction) == Ignore;
    }

    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static partial int SigAction(int signal, void* action, void* previous);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);
}
