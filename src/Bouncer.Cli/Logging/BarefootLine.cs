using System.Globalization;
using Serilog.Events;
using P = Bouncer.Cli.Logging.SessionLogProperties;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Writes the body of a session event in Barefoot's layout (design §4), from the structured
/// properties <see cref="SessionLogEventFactory"/> put on the event:
/// <code>
/// pass(1): tcp/connect [: CLIENT LOCAL -> OUTGOING TARGET
/// pass(1): tcp/connect ]: TOCLIENT -> CLIENT LOCAL -> FROMCLIENT, TOTARGET -> OUTGOING TARGET -> FROMTARGET: REASON.  Session duration: Ns
/// block(2): tcp/connect ]: CLIENT LOCAL -> 0.0.0.0.0 0.0.0.0.0
/// pass(1): tcp/connect -: CLIENT LOCAL -> OUTGOING TARGET (BYTES): PAYLOAD
/// </code>
/// Endpoints are <c>address.port</c>; a missing endpoint is <c>0.0.0.0.0</c>; UDP counts are <c>bytes/packets</c>.
/// An I/O line names its endpoints in the direction the data moved.
/// </summary>
public static class BarefootLine
{
    private const string NoEndpoint = "0.0.0.0.0";

    /// <summary>Writes the line body and returns true, or returns false when the event is not a session event.</summary>
    public static bool TryWrite(LogEvent logEvent, TextWriter writer)
    {
        var properties = logEvent.Properties;
        if (Text(properties, P.Phase) is not { } phase)
        {
            return false;
        }

        var verdict = Text(properties, P.Verdict);
        writer.Write($"{verdict}({Number(properties, P.Rule)}): {Text(properties, P.Protocol)}/{Text(properties, P.Event)} ");
        var client = Endpoint(properties, P.Client);
        var local = Endpoint(properties, P.Local);
        var outgoing = Endpoint(properties, P.Outgoing);
        var target = Endpoint(properties, P.Target);
        switch (phase)
        {
            case P.PhaseOpen:
                writer.Write($"[: {client} {local} -> {outgoing} {target}");
                break;
            case P.PhaseIo:
                WriteIo(properties, writer, $"{client} {local}", $"{outgoing} {target}");
                break;
            case P.PhaseClose when verdict == "block":
                writer.Write($"]: {client} {local} -> {outgoing} {target}");
                var reason = Text(properties, P.Reason);
                if (reason is not null && reason != "blocked")
                {
                    writer.Write($": {reason}");
                }

                break;
            default:
                writer.Write(
                    $"]: {Count(properties, P.BytesToClient, P.PacketsToClient)} -> {client} {local} -> {Count(properties, P.BytesFromClient, P.PacketsFromClient)}, " +
                    $"{Count(properties, P.BytesToTarget, P.PacketsToTarget)} -> {outgoing} {target} -> {Count(properties, P.BytesFromTarget, P.PacketsFromTarget)}: ");
                WriteReason(properties, writer);
                writer.Write($".  Session duration: {(long)Math.Floor(Double(properties, P.Duration))}s");
                break;
        }

        return true;
    }

    private static void WriteIo(IReadOnlyDictionary<string, LogEventPropertyValue> properties, TextWriter writer, string clientPair, string targetPair)
    {
        var towardsTarget = Text(properties, P.Direction) != P.TargetToClient;
        writer.Write(towardsTarget ? $"-: {clientPair} -> {targetPair}" : $"-: {Reverse(targetPair)} -> {Reverse(clientPair)}");
        writer.Write($" ({Number(properties, P.Bytes)})");
        if (Text(properties, P.Payload) is { } payload)
        {
            writer.Write($": {payload}");
        }
    }

    private static void WriteReason(IReadOnlyDictionary<string, LogEventPropertyValue> properties, TextWriter writer)
    {
        writer.Write(Text(properties, P.Reason));
        if (Text(properties, P.Error) is { } detail)
        {
            writer.Write($" ({detail})");
        }
    }

    /// <summary>"A B" → "B A": the pair as seen from the other side.</summary>
    private static string Reverse(string pair)
    {
        var space = pair.IndexOf(' ', StringComparison.Ordinal);
        return $"{pair[(space + 1)..]} {pair[..space]}";
    }

    private static string Count(IReadOnlyDictionary<string, LogEventPropertyValue> properties, string bytes, string packets) =>
        properties.ContainsKey(packets)
            ? $"{Number(properties, bytes)}/{Number(properties, packets)}"
            : Number(properties, bytes);

    private static string Endpoint(IReadOnlyDictionary<string, LogEventPropertyValue> properties, string name)
    {
        if (!properties.TryGetValue(name, out var value) || value is not StructureValue structure)
        {
            return NoEndpoint;
        }

        string? address = null;
        string? port = null;
        foreach (var field in structure.Properties)
        {
            if (field.Name == P.Address)
            {
                address = ScalarText(field.Value);
            }
            else if (field.Name == P.Port)
            {
                port = ScalarText(field.Value);
            }
        }

        return $"{address}.{port}";
    }

    private static string? Text(IReadOnlyDictionary<string, LogEventPropertyValue> properties, string name) =>
        properties.TryGetValue(name, out var value) ? ScalarText(value) : null;

    private static string Number(IReadOnlyDictionary<string, LogEventPropertyValue> properties, string name) =>
        Text(properties, name) ?? "0";

    private static double Double(IReadOnlyDictionary<string, LogEventPropertyValue> properties, string name) =>
        properties.TryGetValue(name, out var value) && value is ScalarValue { Value: IConvertible number }
            ? number.ToDouble(CultureInfo.InvariantCulture)
            : 0;

    private static string? ScalarText(LogEventPropertyValue value) => value is ScalarValue scalar
        ? Convert.ToString(scalar.Value, CultureInfo.InvariantCulture)
        : null;
}
