using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// Turns POSIX signals into <see cref="DaemonCommand"/>s on the runner's channel. The handlers only
/// post a command and cancel the default action (terminate); all work happens in the runner's loop.
/// Signals a platform does not have (SIGHUP, SIGUSR1 on Windows) are skipped: <c>--watch</c> covers reload there.
/// </summary>
public sealed class SignalCommandSource : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalCommandSource(ChannelWriter<DaemonCommand> commands)
    {
        Register(PosixSignal.SIGTERM, DaemonCommand.Stop, commands);
        Register(PosixSignal.SIGINT, DaemonCommand.Stop, commands);
        Register(PosixSignal.SIGHUP, DaemonCommand.Reload, commands);
        if (UserSignal1 is { } usr1)
        {
            Register(usr1, DaemonCommand.DumpState, commands);
        }
    }

    /// <summary>
    /// SIGUSR1 has no <see cref="PosixSignal"/> member; .NET accepts the raw number cast to the enum.
    /// Its number differs between Linux (10) and the BSDs and macOS (30).
    /// </summary>
    public static PosixSignal? UserSignal1 =>
        OperatingSystem.IsLinux() ? (PosixSignal)10
        : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? (PosixSignal)30
        : null;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
    }

    private void Register(PosixSignal signal, DaemonCommand command, ChannelWriter<DaemonCommand> commands)
    {
        try
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                commands.TryWrite(command);
            }));
        }
        catch (PlatformNotSupportedException)
        {
            // This platform cannot deliver the signal; nothing to register.
        }
    }
}
