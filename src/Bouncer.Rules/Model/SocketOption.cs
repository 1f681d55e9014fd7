namespace Bouncer.Rules.Model;

/// <summary>Which leg of a session a socket option applies to.</summary>
public enum SocketSide
{
    /// <summary>The client-facing socket (<c>internal.*</c>).</summary>
    Internal,

    /// <summary>The target-facing socket (<c>external.*</c>).</summary>
    External,
}

/// <summary>The socket options Bouncer supports (design §2.4).</summary>
public enum SocketOptionKind
{
    ReceiveBuffer,
    SendBuffer,
    KeepAlive,
    NoDelay,
    KeepAliveIdle,
    KeepAliveInterval,
    KeepAliveCount,
    TypeOfService,
    TimeToLive,
    FreeBind,
}

/// <summary>One <c>internal.socket.so_rcvbuf: 65536</c> style setting, already validated.</summary>
public sealed record SocketOption(SocketSide Side, SocketOptionKind Kind, int Value, string Keyword)
{
    public override string ToString() => $"{Keyword}: {Value}";
}
