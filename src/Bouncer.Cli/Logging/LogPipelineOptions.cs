using System.Collections.Immutable;
using Bouncer.Cli.CommandLine;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Everything a <see cref="LogPipeline"/> is built from: the rule file's destinations, the command
/// line's overrides, and the process's standard streams (replaceable in tests).
/// </summary>
public sealed record LogPipelineOptions
{
    public ImmutableArray<LogDestination> Outputs { get; init; } = [LogDestination.Stderr];

    /// <summary>Destinations that receive warnings and worse in addition.</summary>
    public ImmutableArray<LogDestination> ErrorLog { get; init; } = [];

    public LogFormat Format { get; init; } = LogFormat.Text;

    /// <summary>Effective debug level (the larger of <c>-d</c> and the file's <c>debug:</c>).</summary>
    public int Debug { get; init; }

    public TextWriter Stdout { get; init; } = Console.Out;

    public TextWriter Stderr { get; init; } = Console.Error;

    /// <summary>The local syslog socket; null looks for a well-known one.</summary>
    public string? SyslogSocketPath { get; init; }

    /// <summary>How often file sinks force their data to disk (they flush to the OS after every event).</summary>
    public TimeSpan FileFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events each destination holds while it is not taking them; beyond that they are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = BoundedQueueSink.DefaultCapacity;

    /// <summary>The clock that stamps the pipeline's own notices (dropped lines).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where every destination's drops are also counted; null counts them per sink only.</summary>
    public LogDropCounter? Drops { get; init; }

    /// <summary>Options for a rule file's settings and the command line: <c>--log FILE</c> replaces <c>logoutput:</c>.</summary>
    public static LogPipelineOptions From(Settings settings, DaemonOptions options) => new()
    {
        Outputs = options.LogFile is { } file
            ? [new LogDestination(LogDestinationKind.File, file)]
            : settings.LogOutput.IsDefaultOrEmpty ? [LogDestination.Stderr] : settings.LogOutput,
        ErrorLog = settings.ErrorLog.IsDefault ? [] : settings.ErrorLog,
        Format = options.LogFormat,
        Debug = Math.Max(options.Debug, settings.Debug),
        QueueCapacity = options.LogQueue ?? BoundedQueueSink.DefaultCapacity,
    };
}
