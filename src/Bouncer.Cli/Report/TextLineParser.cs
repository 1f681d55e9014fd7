using System.Globalization;

namespace Bouncer.Cli.Report;

/// <summary>
/// Reads one line of Barefoot's text layout as <see cref="Logging.BarefootTextFormatter"/> and
/// barefootd write it:
/// <code>
/// Nov 22 14:03:07 (1763820187.123456) bouncer[4242]: info: BODY
/// </code>
/// or as rsyslog (RFC 3339 stamps, Debian's default) and <c>journalctl -o short-iso</c> store the
/// header-less syslog lines: <c>2025-11-22T14:03:07.123456+01:00 HOST bouncer[4242]: info: BODY</c>.
/// The body of a session line is <see cref="Logging.BarefootLine"/>'s. Endpoints are
/// <c>address.port</c> with the port after the last dot (so <c>::1.5000</c> is port 5000 of ::1).
/// Nothing here throws on bad input: a line that does not fit is <see cref="LineKind.Unreadable"/>.
/// </summary>
public sealed class TextLineParser
{
    private const string NoEndpoint = "0.0.0.0.0";
    private const string DurationMark = ".  Session duration: ";

    public LineKind Parse(ReadOnlySpan<char> line, ref SessionLine session, out long ticks)
    {
        if (!TryReadHeader(line, out ticks, out var level, out var body))
        {
            return LineKind.Unreadable;
        }

        // Session events are written at level info; a warning may start with a rule's label too
        // ("pass(1): session.max reached, refusing tcp client ...").
        var verdictEnd = body.IndexOf('(');
        var isPass = verdictEnd == 4 && body.StartsWith("pass(", StringComparison.Ordinal);
        var isBlock = verdictEnd == 5 && body.StartsWith("block(", StringComparison.Ordinal);
        if ((!isPass && !isBlock) || !level.SequenceEqual("info:"))
        {
            return LineKind.Other; // reload summaries, state lines, warnings: the daemon's own
        }

        session.Ticks = ticks;
        return TryReadSession(body[(verdictEnd + 1)..], isBlock, ref session) is { } kind ? kind : LineKind.Unreadable;
    }

    /// <summary>Finds the time stamp and the text after the level (<c>info: </c>).</summary>
    private static bool TryReadHeader(ReadOnlySpan<char> line, out long ticks, out ReadOnlySpan<char> level, out ReadOnlySpan<char> body)
    {
        ticks = 0;
        level = default;
        body = default;
        ReadOnlySpan<char> rest;
        if (line.Length > 10 && char.IsAsciiDigit(line[0]) && line[4] == '-')
        {
            // RFC 3339 stamp, then the host name.
            var space = line.IndexOf(' ');
            if (space < 0 || !DateTimeOffset.TryParse(line[..space], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var stamp))
            {
                return false;
            }

            ticks = stamp.UtcTicks;
            rest = line[(space + 1)..];
            if (!TakeToken(ref rest, out _))
            {
                return false;
            }
        }
        else
        {
            // "Nov 22 14:03:07 (1763820187.123456) ": the local time is only for people; the Unix time is exact.
            var open = line.IndexOf(" (", StringComparison.Ordinal);
            if (open is < 6 or > 24)
            {
                return false;
            }

            var close = line[open..].IndexOf(") ", StringComparison.Ordinal);
            if (close < 0 || !TryReadUnixTime(line[(open + 2)..(open + close)], out ticks))
            {
                return false;
            }

            rest = line[(open + close + 2)..];
        }

        // "bouncer[4242]: info: ": the program and the level, each ending in a colon.
        if (!TakeToken(ref rest, out var program) || !program.EndsWith(':') ||
            !TakeToken(ref rest, out level) || !level.EndsWith(':'))
        {
            return false;
        }

        body = rest;
        return true;
    }

    /// <summary>"1763820187.123456": seconds and a fraction (microseconds as written, any precision read).</summary>
    private static bool TryReadUnixTime(ReadOnlySpan<char> text, out long ticks)
    {
        ticks = 0;
        var dot = text.IndexOf('.');
        var secondsText = dot < 0 ? text : text[..dot];
        if (secondsText.Length is 0 or > 11 || !IsDigits(secondsText) ||
            !long.TryParse(secondsText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        long fractionTicks = 0;
        if (dot >= 0)
        {
            var fraction = text[(dot + 1)..];
            if (fraction.Length is 0 or > 7 || !IsDigits(fraction))
            {
                return false;
            }

            foreach (var digit in fraction)
            {
                fractionTicks = (fractionTicks * 10) + (digit - '0');
            }

            for (var i = fraction.Length; i < 7; i++)
            {
                fractionTicks *= 10;
            }
        }

        ticks = DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + fractionTicks;
        return ticks <= DateTime.MaxValue.Ticks;
    }

    /// <summary>Reads <c>N): tcp/connect ]: REST</c> (what follows the verdict's parenthesis).</summary>
    private static LineKind? TryReadSession(ReadOnlySpan<char> text, bool isBlock, ref SessionLine session)
    {
        var close = text.IndexOf("): ", StringComparison.Ordinal);
        if (close is < 1 or > 9 || !IsDigits(text[..close]) ||
            !int.TryParse(text[..close], NumberStyles.None, CultureInfo.InvariantCulture, out session.Rule))
        {
            return null;
        }

        var rest = text[(close + 3)..];
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return null;
        }

        session.Protocol = rest[..slash] switch
        {
            "tcp" => "tcp",
            "udp" => "udp",
            _ => default,
        };
        if (session.Protocol.IsEmpty)
        {
            return null;
        }

        rest = rest[(slash + 1)..];
        if (!TakeToken(ref rest, out _) || rest.Length < 3 || rest[1] != ':' || rest[2] != ' ')
        {
            return null;
        }

        var phase = rest[0];
        rest = rest[3..];
        return phase switch
        {
            '[' when !isBlock => TryReadOpen(rest, ref session) ? LineKind.Session : null,
            ']' when isBlock => TryReadRefusal(rest, ref session) ? LineKind.Session : null,
            ']' => TryReadEnd(rest, ref session) ? LineKind.Session : null,
            '-' => LineKind.Other, // one I/O operation: the end line has the totals
            _ => null,
        };
    }

    /// <summary><c>CLIENT LOCAL -> OUTGOING TARGET</c></summary>
    private static bool TryReadOpen(ReadOnlySpan<char> rest, ref SessionLine session)
    {
        session.Phase = SessionLinePhase.Open;
        session.BytesFromClient = 0;
        session.BytesToClient = 0;
        session.Reason = default;
        session.DurationSeconds = 0;
        return TakeEndpoint(ref rest, out session.Client) && TakeEndpoint(ref rest, out session.Local) &&
            TakeArrow(ref rest) && TakeEndpoint(ref rest, out _) && TakeEndpoint(ref rest, out session.Target) &&
            rest.IsEmpty && IsSet(session.Client);
    }

    /// <summary><c>CLIENT LOCAL -> OUTGOING TARGET[: REASON]</c>; a block rule's own refusals carry no reason.</summary>
    private static bool TryReadRefusal(ReadOnlySpan<char> rest, ref SessionLine session)
    {
        session.Phase = SessionLinePhase.Refusal;
        session.BytesFromClient = 0;
        session.BytesToClient = 0;
        session.DurationSeconds = 0;
        session.Target = default;
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        session.Reason = colon < 0 ? "blocked" : rest[(colon + 2)..];
        var endpoints = colon < 0 ? rest : rest[..colon];
        if (!TakeEndpoint(ref endpoints, out session.Client) || !TakeEndpoint(ref endpoints, out session.Local) || !IsSet(session.Client))
        {
            return false;
        }

        // Barefoot's block lines may stop after the client pair; Bouncer's carry an empty outgoing pair.
        return endpoints.IsEmpty ||
            (TakeArrow(ref endpoints) && TakeEndpoint(ref endpoints, out _) && TakeEndpoint(ref endpoints, out _) && endpoints.IsEmpty);
    }

    /// <summary>
    /// <c>TOCLIENT -> CLIENT LOCAL -> FROMCLIENT, TOTARGET -> OUTGOING TARGET -> FROMTARGET: REASON.  Session duration: Ns</c>
    /// (UDP counts are <c>bytes/packets</c>).
    /// </summary>
    private static bool TryReadEnd(ReadOnlySpan<char> rest, ref SessionLine session)
    {
        session.Phase = SessionLinePhase.End;
        var mark = rest.LastIndexOf(DurationMark, StringComparison.Ordinal);
        if (mark < 0)
        {
            return false;
        }

        var duration = rest[(mark + DurationMark.Length)..];
        if (duration.Length < 2 || duration[^1] != 's' || !IsDigits(duration[..^1]) ||
            !long.TryParse(duration[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        session.DurationSeconds = seconds;
        var counts = rest[..mark];
        var reasonStart = counts.IndexOf(": ", StringComparison.Ordinal);
        if (reasonStart < 0)
        {
            return false;
        }

        session.Reason = counts[(reasonStart + 2)..];
        counts = counts[..reasonStart];
        return TakeCount(ref counts, out session.BytesToClient, "") && TakeArrow(ref counts) &&
            TakeEndpoint(ref counts, out session.Client) && TakeEndpoint(ref counts, out session.Local) && TakeArrow(ref counts) &&
            TakeCount(ref counts, out session.BytesFromClient, ",") &&
            TakeCount(ref counts, out _, "") && TakeArrow(ref counts) &&
            TakeEndpoint(ref counts, out _) && TakeEndpoint(ref counts, out session.Target) && TakeArrow(ref counts) &&
            TakeCount(ref counts, out _, "") && counts.IsEmpty && !session.Reason.IsEmpty && IsSet(session.Client);
    }

    /// <summary>A byte count, or <c>bytes/packets</c>, followed by <paramref name="suffix"/>.</summary>
    private static bool TakeCount(scoped ref ReadOnlySpan<char> rest, out long bytes, string suffix)
    {
        bytes = 0;
        if (!TakeToken(ref rest, out var token) || !token.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        token = token[..^suffix.Length];
        var slash = token.IndexOf('/');
        var bytesText = slash < 0 ? token : token[..slash];
        return bytesText.Length is > 0 and <= 19 && IsDigits(bytesText) && (slash < 0 || IsDigits(token[(slash + 1)..])) &&
            long.TryParse(bytesText, NumberStyles.None, CultureInfo.InvariantCulture, out bytes);
    }

    /// <summary><c>address.port</c>; the empty endpoint <c>0.0.0.0.0</c> comes back empty.</summary>
    private static bool TakeEndpoint(scoped ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> endpoint)
    {
        if (!TakeToken(ref rest, out endpoint) || !EndpointText.IsEndpoint(endpoint))
        {
            return false;
        }

        if (endpoint.SequenceEqual(NoEndpoint))
        {
            endpoint = default;
        }

        return true;
    }

    private static bool TakeArrow(scoped ref ReadOnlySpan<char> rest) => TakeToken(ref rest, out var arrow) && arrow.SequenceEqual("->");

    /// <summary>The text up to the next blank (or the end), and the rest after that blank.</summary>
    private static bool TakeToken(scoped ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> token)
    {
        var space = rest.IndexOf(' ');
        token = space < 0 ? rest : rest[..space];
        rest = space < 0 ? default : rest[(space + 1)..];
        return !token.IsEmpty;
    }

    private static bool IsSet(ReadOnlySpan<char> endpoint) => !endpoint.IsEmpty;

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');
}
