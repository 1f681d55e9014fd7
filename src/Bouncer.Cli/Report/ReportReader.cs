namespace Bouncer.Cli.Report;

/// <summary>Parses each line it is handed and adds it to the report.</summary>
public sealed class ReportReader : ILineConsumer
{
    private readonly LogLineParser _parser = new();
    private readonly ReportAggregator _aggregator;

    public ReportReader(ReportAggregator aggregator)
    {
        _aggregator = aggregator;
    }

    public void OnLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || (line.Length == 1 && line[0] == '\r'))
        {
            return; // blank lines (a trailing newline, a log edited by hand) are nothing to skip
        }

        var session = default(SessionLine);
        LineKind kind;
        try
        {
            kind = _parser.Parse(line, ref session, out _);
        }
#pragma warning disable CA1031 // A report must never stop at a line it cannot read; the parsers return results, this is their backstop.
        catch (Exception)
#pragma warning restore CA1031
        {
            kind = LineKind.Unreadable;
        }

        _aggregator.Add(kind, session);
    }

    public void OnOverlongLine() => _aggregator.AddOverlongLine();
}
