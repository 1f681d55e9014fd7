using System.Text.Json;

namespace Bouncer.Cli.Report;

/// <summary>
/// Reads one line of the JSON layout (<see cref="Logging.JsonLineFormatter"/>): a flat object with
/// <c>time</c>, <c>phase</c>, <c>rule</c>, <c>verdict</c>, <c>protocol</c>, the endpoints as
/// <c>{"address":…,"port":…}</c>, the byte counts, <c>reason</c>, <c>error</c> and <c>duration</c>
/// (names in <see cref="Logging.SessionLogProperties"/>). It reads the line with
/// <see cref="Utf8JsonReader"/>, copying only the few strings it needs, and skips the rest
/// (notably <c>message</c>, which repeats the text line).
/// </summary>
public sealed class JsonLineParser
{
    // Addresses, protocol and reason of one line; a line whose strings do not fit is unreadable.
    private readonly char[] _scratch = new char[2048];
    private int _used;

    public LineKind Parse(ReadOnlySpan<byte> line, ref SessionLine session, out long ticks)
    {
        ticks = 0;
        try
        {
            return Read(line, ref session, ref ticks);
        }
        catch (JsonException)
        {
            return LineKind.Unreadable;
        }
    }

    private LineKind Read(ReadOnlySpan<byte> line, ref SessionLine session, ref long ticks)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return LineKind.Unreadable;
        }

        _used = 0;
        var sawTime = false;
        string? phase = null;
        bool? block = null;
        int? rule = null;
        Field protocol = default, client = default, local = default, target = default, reason = default, error = default;
        long bytesFromClient = 0, bytesToClient = 0;
        double duration = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var time))
                {
                    return LineKind.Unreadable;
                }

                ticks = time.UtcTicks;
                sawTime = true;
            }
            else if (reader.ValueTextEquals("phase"u8))
            {
                reader.Read();
                phase = reader.ValueTextEquals("open"u8) ? "open"
                    : reader.ValueTextEquals("close"u8) ? "close"
                    : reader.ValueTextEquals("io"u8) ? "io"
                    : "?";
            }
            else if (reader.ValueTextEquals("verdict"u8))
            {
                reader.Read();
                block = reader.ValueTextEquals("block"u8) ? true : reader.ValueTextEquals("pass"u8) ? false : null;
            }
            else if (reader.ValueTextEquals("rule"u8))
            {
                reader.Read();
                rule = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) && number >= 0 ? number : null;
            }
            else if (reader.ValueTextEquals("protocol"u8))
            {
                protocol = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("client"u8))
            {
                client = ReadEndpoint(ref reader);
            }
            else if (reader.ValueTextEquals("local"u8))
            {
                local = ReadEndpoint(ref reader);
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                target = ReadEndpoint(ref reader);
            }
            else if (reader.ValueTextEquals("reason"u8))
            {
                reason = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                error = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("bytesFromClient"u8))
            {
                bytesFromClient = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("bytesToClient"u8))
            {
                bytesToClient = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("duration"u8))
            {
                reader.Read();
                duration = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var seconds) && seconds >= 0 ? seconds : -1;
            }
            else
            {
                reader.Read();
            }

            // A value of the wrong kind (an object where a number belongs) is passed over whole.
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        // One object per line: anything after it (two lines run together) makes the line unreadable.
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || !sawTime || reader.Read())
        {
            return LineKind.Unreadable;
        }

        if (phase is null or "io")
        {
            return LineKind.Other; // the daemon's own messages, and I/O operations
        }

        var protocolText = Text(protocol);
        if (phase == "?" || block is null || rule is null || client.Length <= 0 || local.Length <= 0 ||
            target.Length < 0 || protocol.Length < 0 || reason.Length < 0 || error.Length < 0 || duration < 0 ||
            (protocolText is not "tcp" and not "udp"))
        {
            return LineKind.Unreadable;
        }

        session.Ticks = ticks;
        session.Rule = rule.Value;
        session.Protocol = protocolText.SequenceEqual("tcp") ? "tcp" : "udp";
        session.Client = Text(client);
        session.Local = Text(local);
        session.Target = Text(target);
        session.BytesFromClient = bytesFromClient;
        session.BytesToClient = bytesToClient;
        session.DurationSeconds = duration;
        session.Reason = default;
        if (phase == "open")
        {
            if (block.Value)
            {
                return LineKind.Unreadable;
            }

            session.Phase = SessionLinePhase.Open;
            return LineKind.Session;
        }

        if (block.Value)
        {
            // As the text layout: a refusal shows its reason alone ("blocked" when a block rule refused).
            session.Phase = SessionLinePhase.Refusal;
            session.Target = default;
            session.Reason = reason.Length > 0 ? Text(reason) : "blocked";
            return LineKind.Session;
        }

        if (reason.Length <= 0)
        {
            return LineKind.Unreadable;
        }

        session.Phase = SessionLinePhase.End;
        session.Reason = error.Length > 0 ? Append(reason, error) : Text(reason);
        return session.Reason.IsEmpty ? LineKind.Unreadable : LineKind.Session;
    }

    /// <summary>"remote peer error" and "Connection refused" become "remote peer error (Connection refused)", as the text line has it.</summary>
    private ReadOnlySpan<char> Append(Field reason, Field error)
    {
        var length = reason.Length + error.Length + 3;
        if (_used + length > _scratch.Length)
        {
            return default;
        }

        var start = _used;
        Text(reason).CopyTo(_scratch.AsSpan(_used));
        _used += reason.Length;
        " (".CopyTo(_scratch.AsSpan(_used));
        _used += 2;
        Text(error).CopyTo(_scratch.AsSpan(_used));
        _used += error.Length;
        _scratch[_used++] = ')';
        return _scratch.AsSpan(start, length);
    }

    private static long ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var count) && count >= 0 ? count : 0;
    }

    /// <summary>A string value copied into the scratch buffer; length -1 when it is not a string or does not fit.</summary>
    private Field ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return new Field(0, -1);
        }

        return Copy(ref reader);
    }

    /// <summary><c>{"address":"::1","port":5000}</c> as <c>::1.5000</c>, the text layout's form.</summary>
    private Field ReadEndpoint(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new Field(0, -1);
        }

        Field address = new(0, -1);
        var port = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("address"u8))
            {
                reader.Read();
                address = reader.TokenType == JsonTokenType.String ? Copy(ref reader) : new Field(0, -1);
            }
            else if (reader.ValueTextEquals("port"u8))
            {
                reader.Read();
                port = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) && number is >= 0 and <= 65535 ? number : -1;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (address.Length <= 0 || port < 0 || _used + 6 > _scratch.Length)
        {
            return new Field(0, -1);
        }

        _scratch[_used++] = '.';
        port.TryFormat(_scratch.AsSpan(_used), out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        _used += written;
        var endpoint = new Field(address.Start, _used - address.Start);
        return EndpointText.IsEndpoint(Text(endpoint)) ? endpoint : new Field(0, -1);
    }

    private Field Copy(ref Utf8JsonReader reader)
    {
        var room = _scratch.Length - _used - 8;
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > room)
        {
            return new Field(0, -1);
        }

        var written = reader.CopyString(_scratch.AsSpan(_used, room));
        var field = new Field(_used, written);
        _used += written;
        return field;
    }

    private ReadOnlySpan<char> Text(Field field) => field.Length <= 0 ? default : _scratch.AsSpan(field.Start, field.Length);

    /// <summary>A piece of the scratch buffer; length 0 when absent, -1 when present but unusable.</summary>
    private readonly record struct Field(int Start, int Length);
}
