using Bouncer.Cli.CommandLine;
using Bouncer.Rules.Model;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Bouncer.Cli.Logging;

/// <summary>
/// One built Serilog logger with its sinks and the debug level it was built for. Immutable once
/// built: reopening log files (SIGHUP, logrotate) builds a new pipeline and
/// <see cref="LogPipelineHost"/> swaps it in, then disposes this one, which closes its files.
/// </summary>
public sealed class LogPipeline : IDisposable
{
    private LogPipeline(Logger logger, int debug, IReadOnlyList<string> warnings)
    {
        Logger = logger;
        Debug = debug;
        Warnings = warnings;
    }

    public Logger Logger { get; }

    /// <summary>Non-zero: every session event of every rule is logged, including rule 0's blocks.</summary>
    public int Debug { get; }

    /// <summary>What could not be set up as asked (and what was done instead); also logged once at build.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Builds the sinks. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>
    /// when a log file cannot be opened, so the caller can keep its previous pipeline.
    /// </summary>
    public static LogPipeline Build(LogPipelineOptions options)
    {
        var warnings = new List<string>();
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(options.Debug > 0 ? LogEventLevel.Verbose : LogEventLevel.Information);
        var outputs = options.Outputs.Distinct().ToList();
        foreach (var destination in outputs)
        {
            AddSink(configuration, destination, LogEventLevel.Verbose, options, warnings);
        }

        // A destination already in logoutput: gets warnings anyway; a second sink would write them twice.
        foreach (var destination in options.ErrorLog.Distinct().Where(d => !outputs.Contains(d)))
        {
            AddSink(configuration, destination, LogEventLevel.Warning, options, warnings);
        }

        var logger = configuration.CreateLogger();
        foreach (var warning in warnings)
        {
            logger.Warning(warning);
        }

        return new LogPipeline(logger, options.Debug, warnings);
    }

    /// <summary>A pipeline around an existing logger (tests, and the fallback before a rule file is read).</summary>
    public static LogPipeline FromLogger(Logger logger, int debug) => new(logger, debug, []);

    public void Dispose() => Logger.Dispose();

    private static ITextFormatter Formatter(LogFormat format, bool header) =>
        format == LogFormat.Json ? new JsonLineFormatter() : new BarefootTextFormatter(header);

    /// <summary>
    /// Adds the sink for <paramref name="destination"/> behind its own <see cref="BoundedQueueSink"/>,
    /// so no destination can make a socket thread wait, and a stuck one does not hold up the others.
    /// </summary>
    private static void AddSink(
        LoggerConfiguration configuration,
        LogDestination destination,
        LogEventLevel minimum,
        LogPipelineOptions options,
        List<string> warnings)
    {
        var sink = CreateSink(destination, options, warnings);
        configuration.WriteTo.Sink(new BoundedQueueSink(sink, options.Time, options.QueueCapacity, options.Drops), minimum);
    }

    private static ILogEventSink CreateSink(LogDestination destination, LogPipelineOptions options, List<string> warnings)
    {
        switch (destination.Kind)
        {
            case LogDestinationKind.Stdout:
                return new TextWriterSink(options.Stdout, Formatter(options.Format, header: true));
            case LogDestinationKind.File:
                ProbeWritable(destination.Target!);

                // A logger of its own is the file sink as one disposable ILogEventSink.
                // buffered: false flushes every event to the OS at once, so tail -f sees it; the
                // flush interval bounds how long it may sit unsynced in the page cache.
                return new LoggerConfiguration()
                    .MinimumLevel.Verbose()
                    .WriteTo.File(
                        Formatter(options.Format, header: true),
                        destination.Target!,
                        fileSizeLimitBytes: null,
                        buffered: false,
                        shared: false,
                        flushToDiskInterval: options.FileFlushInterval)
                    .CreateLogger();
            case LogDestinationKind.Syslog:
                return CreateSyslogSink(destination, options, warnings);
            default:
                return new TextWriterSink(options.Stderr, Formatter(options.Format, header: true));
        }
    }

    /// <summary>
    /// Serilog.Sinks.File reports a file it cannot open only to SelfLog and drops every event; the
    /// daemon must refuse to start (or keep its old files on reload) instead, so try first.
    /// </summary>
    private static void ProbeWritable(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using var probe = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    private static ILogEventSink CreateSyslogSink(LogDestination destination, LogPipelineOptions options, List<string> warnings)
    {
        if (!SyslogFacility.TryParse(destination.Target, out var facility))
        {
            warnings.Add($"unknown syslog facility '{destination.Target}', using daemon");
            facility = SyslogFacility.Daemon;
        }

        var path = options.SyslogSocketPath ?? UnixSyslogSink.FindLocalSocket();
        if (path is null || !File.Exists(path))
        {
            var looked = path ?? string.Join(", ", UnixSyslogSink.WellKnownPaths);
            warnings.Add($"{destination}: no local syslog socket ({looked}), logging to stderr instead");
            return new TextWriterSink(options.Stderr, Formatter(options.Format, header: true));
        }

        return new UnixSyslogSink(path, facility, Formatter(options.Format, header: false));
    }
}
