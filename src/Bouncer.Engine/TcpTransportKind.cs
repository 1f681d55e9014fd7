namespace Bouncer.Engine;

/// <summary>How TCP sockets wait for data (docs/design.md, "TCP transport").</summary>
public enum TcpTransportKind
{
    /// <summary>The runtime's socket engine (System.Net.Sockets' async operations): every platform.</summary>
    Sockets,

    /// <summary>Epoll sets of the engine's own, both sockets of a session on one thread: Linux.</summary>
    Epoll,
}
