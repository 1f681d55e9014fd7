using System.Net.Sockets;

namespace Bouncer.Engine.Net;

/// <summary>
/// The one place where expected network failures become results. Socket operations on the data
/// path catch <see cref="SocketException"/> and <see cref="ObjectDisposedException"/> and hand
/// them here; nothing of the kind escapes a session. The texts are the strerror(3) wording that
/// Barefoot logs, fixed here so logs read the same on every platform.
/// </summary>
internal static class SocketErrorClassifier
{
    public static NetworkFailure Classify(Exception exception) => exception switch
    {
        SocketException socketException => Classify(socketException.SocketErrorCode),
        ObjectDisposedException => new NetworkFailure(FailureKind.Aborted, SocketError.OperationAborted, "Operation aborted"),
        OperationCanceledException => new NetworkFailure(FailureKind.Aborted, SocketError.OperationAborted, "Operation aborted"),
        IOException { InnerException: SocketException inner } => Classify(inner.SocketErrorCode),
        _ => new NetworkFailure(FailureKind.Error, SocketError.SocketError, exception.Message),
    };

    public static NetworkFailure Classify(SocketError error) => error switch
    {
        // As Kestrel's SocketConnection: a dispose during a pending receive shows up as
        // OperationAborted, Interrupted, or InvalidArgument on Unix.
        SocketError.OperationAborted or SocketError.Interrupted => new(FailureKind.Aborted, error, "Operation aborted"),
        SocketError.InvalidArgument when !OperatingSystem.IsWindows() => new(FailureKind.Aborted, error, "Operation aborted"),
        SocketError.ConnectionReset => new(FailureKind.Reset, error, "Connection reset by peer"),
        SocketError.ConnectionAborted => new(FailureKind.Reset, error, "Software caused connection abort"),
        SocketError.Shutdown => new(FailureKind.Reset, error, "Broken pipe"),
        SocketError.NotConnected => new(FailureKind.Reset, error, "Transport endpoint is not connected"),
        SocketError.ConnectionRefused => new(FailureKind.Error, error, "Connection refused"),
        SocketError.TimedOut => new(FailureKind.Error, error, "Connection timed out"),
        SocketError.NetworkUnreachable => new(FailureKind.Error, error, "Network is unreachable"),
        SocketError.HostUnreachable => new(FailureKind.Error, error, "No route to host"),
        SocketError.NetworkDown => new(FailureKind.Error, error, "Network is down"),
        SocketError.HostDown => new(FailureKind.Error, error, "Host is down"),
        SocketError.AddressAlreadyInUse => new(FailureKind.Error, error, "Address already in use"),
        SocketError.AddressNotAvailable => new(FailureKind.Error, error, "Cannot assign requested address"),
        SocketError.AccessDenied => new(FailureKind.Error, error, "Permission denied"),
        // EMFILE and ENFILE both arrive as TooManyOpenSockets.
        SocketError.TooManyOpenSockets => new(FailureKind.ResourceLimit, error, "Too many open files"),
        SocketError.NoBufferSpaceAvailable => new(FailureKind.ResourceLimit, error, "No buffer space available"),
        SocketError.HostNotFound or SocketError.NoData => new(FailureKind.Error, error, "Host not found"),
        _ => new(FailureKind.Error, error, error.ToString()),
    };
}
