namespace Bouncer.Cli.Logging;

/// <summary>
/// Names of the structured properties a session event carries in Serilog. The text formatter reads
/// them back to write Barefoot's layout; the JSON formatter writes them as they are.
/// </summary>
public static class SessionLogProperties
{
    public const string Rule = "rule";
    public const string Verdict = "verdict";
    public const string Protocol = "protocol";

    /// <summary>"connect" for TCP, "udpassociate" for UDP, as Barefoot names them.</summary>
    public const string Event = "event";

    /// <summary>"open" ('['), "close" (']') or "io" ('-').</summary>
    public const string Phase = "phase";

    public const string Client = "client";
    public const string Local = "local";
    public const string Outgoing = "outgoing";
    public const string Target = "target";
    public const string BytesToClient = "bytesToClient";
    public const string BytesFromClient = "bytesFromClient";
    public const string BytesToTarget = "bytesToTarget";
    public const string BytesFromTarget = "bytesFromTarget";
    public const string PacketsToClient = "packetsToClient";
    public const string PacketsFromClient = "packetsFromClient";
    public const string PacketsToTarget = "packetsToTarget";
    public const string PacketsFromTarget = "packetsFromTarget";
    public const string Reason = "reason";
    public const string Error = "error";

    /// <summary>Seconds, with millisecond precision.</summary>
    public const string Duration = "duration";

    /// <summary>"client-to-target" or "target-to-client" on an I/O operation.</summary>
    public const string Direction = "direction";

    /// <summary>Byte count of one I/O operation.</summary>
    public const string Bytes = "bytes";

    /// <summary>The escaped payload of one I/O operation (<c>log: data</c>).</summary>
    public const string Payload = "payload";

    /// <summary>Fields of an endpoint structure.</summary>
    public const string Address = "address";
    public const string Port = "port";

    public const string PhaseOpen = "open";
    public const string PhaseClose = "close";
    public const string PhaseIo = "io";
    public const string ClientToTarget = "client-to-target";
    public const string TargetToClient = "target-to-client";
}
