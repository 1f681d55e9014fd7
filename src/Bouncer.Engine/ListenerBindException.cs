using Bouncer.Rules.Model;

namespace Bouncer.Engine;

/// <summary>A listener could not be bound; <see cref="Exception.Message"/> is the one line an operator reads.</summary>
public sealed class ListenerBindException : Exception
{
    public ListenerBindException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public ListenerBindException()
    {
    }

    public ListenerBindException(string message)
        : base(message)
    {
    }

    /// <summary>
    /// The listener that failed, when the failure is one socket's (the daemon explains a refused
    /// low port after it has dropped root); null otherwise.
    /// </summary>
    public Listener? Listener { get; init; }
}
