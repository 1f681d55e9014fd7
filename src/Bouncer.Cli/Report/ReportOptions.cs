namespace Bouncer.Cli.Report;

/// <summary>How <c>bouncer report</c> writes what it found.</summary>
public enum ReportFormat
{
    /// <summary>A table per rule, end reasons, top clients and bar charts, for people.</summary>
    Text,

    /// <summary>One JSON document (docs/operations.md lists its fields, which are a contract).</summary>
    Json,
}

/// <summary>Everything the command line says about one run of <c>bouncer report</c>.</summary>
public sealed record ReportOptions
{
    /// <summary>The name that stands for standard input among the files.</summary>
    public const string StandardInput = "-";

    public required IReadOnlyList<string> Files { get; init; }

    public ReportFormat Format { get; init; } = ReportFormat.Text;

    /// <summary>Lines written before this moment (UTC ticks) are left out.</summary>
    public long? SinceTicks { get; init; }

    /// <summary>Lines written at or after this moment (UTC ticks) are left out.</summary>
    public long? UntilTicks { get; init; }

    /// <summary>Width of one interval of the per-rule series; null for no series.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Keep reading as the logs grow, and redraw every <see cref="Refresh"/>.</summary>
    public bool Follow { get; init; }

    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many clients each rule lists, busiest first.</summary>
    public int TopClients { get; init; } = 5;
}
