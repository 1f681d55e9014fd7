using Bouncer.Engine.Events;

namespace Bouncer.Cli.Logging;

/// <summary>The words Barefoot's end lines use for why a session ended (design §4).</summary>
public static class EndReasonText
{
    public static string For(EndReason reason) => reason switch
    {
        EndReason.LocalClientClosed => "local client closed",
        EndReason.RemotePeerClosed => "remote peer closed",
        EndReason.LocalClientError => "local client error",
        EndReason.RemotePeerError => "remote peer error",
        EndReason.IoTimeout => "i/o timeout",
        EndReason.ConnectTimeout => "connect timeout",
        EndReason.TcpFinWaitTimeout => "tcp-fin-wait timeout",
        EndReason.SessionLimitReached => "session limit reached",
        EndReason.AdministrativeTermination => "administrative termination",
        EndReason.Blocked => "blocked",
        EndReason.LocalResourceLimit => "local resource limit",
        _ => "unknown",
    };
}
