namespace Bouncer.Cli.Report;

/// <summary>What a log line turned out to be.</summary>
public enum LineKind
{
    /// <summary>Not a line of Bouncer's (or barefootd's) layouts, or a session line that does not parse: skipped and counted.</summary>
    Unreadable,

    /// <summary>A line of the daemon that is not about a session (start, reload, state, warnings), or an I/O operation line.</summary>
    Other,

    /// <summary>A session opened, ended or was refused; the fields of <see cref="SessionLine"/> are set.</summary>
    Session,
}

/// <summary>Where in a session's life a session line stands.</summary>
public enum SessionLinePhase
{
    /// <summary>'[': a passed session was set up.</summary>
    Open,

    /// <summary>']' of a pass: a session or UDP flow ended.</summary>
    End,

    /// <summary>']' of a block: a client was turned away, by a block rule or by a pass rule's limit.</summary>
    Refusal,
}

/// <summary>
/// One session line as read from the log, whatever its layout. The text fields point into the
/// parser's buffers and are valid only until the parser reads the next line, so the aggregator
/// copies what it keeps.
/// </summary>
public ref struct SessionLine
{
    /// <summary>When the line was written, in UTC ticks.</summary>
    public long Ticks;

    public SessionLinePhase Phase;

    /// <summary>The rule number as logged (0 is the implicit block).</summary>
    public int Rule;

    /// <summary>"tcp" or "udp".</summary>
    public ReadOnlySpan<char> Protocol;

    /// <summary>The client's endpoint as logged, <c>address.port</c>.</summary>
    public ReadOnlySpan<char> Client;

    /// <summary>The local endpoint the client reached, <c>address.port</c>: the rule's listener.</summary>
    public ReadOnlySpan<char> Local;

    /// <summary>The target endpoint, or empty when the line has none (refusals).</summary>
    public ReadOnlySpan<char> Target;

    public long BytesFromClient;
    public long BytesToClient;

    /// <summary>Why the session ended, as the text layout writes it (with the error detail in parentheses).</summary>
    public ReadOnlySpan<char> Reason;

    /// <summary>How long the session lasted; whole seconds in the text layout.</summary>
    public double DurationSeconds;

    /// <summary>The client's address: the endpoint without its port (the port follows the last dot).</summary>
    public readonly ReadOnlySpan<char> ClientAddress => Client[..Client.LastIndexOf('.')];
}
