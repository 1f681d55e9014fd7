using System.Net.Sockets;

namespace Bouncer.Engine.Net;

/// <summary>What kind of thing went wrong on a socket, as far as a session cares.</summary>
internal enum FailureKind
{
    /// <summary>Our own close or dispose ended the operation; the session is already ending for another reason.</summary>
    Aborted,

    /// <summary>The peer reset the connection or the pipe is broken: forward as a reset.</summary>
    Reset,

    /// <summary>Any other network error (refused, unreachable, timed out).</summary>
    Error,

    /// <summary>
    /// This process or host is out of descriptors (EMFILE, ENFILE) or socket buffers (ENOBUFS): a
    /// state that passes once sessions end, not a failure of the peer or of the listener.
    /// </summary>
    ResourceLimit,
}

/// <summary>An expected network failure turned into data: its kind and the text the log shows in parentheses.</summary>
internal readonly record struct NetworkFailure(FailureKind Kind, SocketError Error, string Detail);
