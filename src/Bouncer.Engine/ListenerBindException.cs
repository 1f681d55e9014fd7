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
}
