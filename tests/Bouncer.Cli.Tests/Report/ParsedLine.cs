using System.Text;
using Bouncer.Cli.Report;

namespace Bouncer.Cli.Tests.Report;

/// <summary>A <see cref="SessionLine"/> copied out of the parser's buffers, so tests can compare it whole.</summary>
internal sealed record ParsedLine(
    LineKind Kind,
    long Ticks,
    SessionLinePhase Phase,
    int Rule,
    string Protocol,
    string Client,
    string Local,
    string Target,
    long BytesFromClient,
    long BytesToClient,
    string Reason,
    double DurationSeconds)
{
    public static ParsedLine Of(string line) => Of(new LogLineParser(), line);

    public static ParsedLine Of(LogLineParser parser, string line)
    {
        var session = default(SessionLine);
        var kind = parser.Parse(Encoding.UTF8.GetBytes(line), ref session, out var ticks);
        return kind != LineKind.Session
            ? new ParsedLine(kind, ticks, default, 0, "", "", "", "", 0, 0, "", 0)
            : new ParsedLine(kind, ticks, session.Phase, session.Rule, session.Protocol.ToString(), session.Client.ToString(),
                session.Local.ToString(), session.Target.ToString(), session.BytesFromClient, session.BytesToClient,
                session.Reason.ToString(), session.DurationSeconds);
    }
}
