using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;

namespace Bouncer.Cli.Report;

/// <summary>
/// The <c>report</c> subcommand (design §5.1):
/// <c>bouncer report [--format text|json] [--since TIME] [--until TIME] [--interval SPAN] [--follow] FILE...</c>.
/// </summary>
public sealed class ReportCommandLine
{
    private readonly Option<ReportFormat> _format = new("--format")
    {
        Description = "text (a table and bar charts) or json (one document; its fields are listed in docs/operations.md).",
        HelpName = "text|json",
        DefaultValueFactory = _ => ReportFormat.Text,
    };

    private readonly Option<long?> _since = new("--since")
    {
        Description = "Leave out lines written before TIME: ISO 8601 (UTC unless it has an offset), or a span ago such as 2h.",
        HelpName = "TIME",
    };

    private readonly Option<long?> _until = new("--until")
    {
        Description = "Leave out lines written at or after TIME (as --since).",
        HelpName = "TIME",
    };

    private readonly Option<TimeSpan?> _interval = new("--interval")
    {
        Description = "Add a series per rule: sessions started per SPAN (such as 10m, 1h, 1d), drawn as a bar chart in text.",
        HelpName = "SPAN",
    };

    private readonly Option<bool> _follow = new("--follow")
    {
        Description = "Keep reading as the logs grow (also across logrotate's rename) and redraw the report every few seconds.",
    };

    private readonly Option<TimeSpan?> _refresh = new("--refresh")
    {
        Description = "With --follow: how often the report is redrawn (default 2s).",
        HelpName = "SPAN",
    };

    private readonly Argument<string[]> _files = new("FILE")
    {
        Description = "Bouncer's logs, text or JSON, plain or .gz, in any order; - is standard input.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly TimeProvider _time;

    public ReportCommandLine(TimeProvider time)
    {
        _time = time;
        Command = new Command("report", "Read Bouncer's logs and tell per rule who still uses it: sessions, refusals, clients, bytes, first and last seen.");
        Option[] options = [_format, _since, _until, _interval, _follow, _refresh];
        foreach (var option in options)
        {
            Command.Options.Add(option);
        }

        Command.Arguments.Add(_files);
        var now = time.GetUtcNow();
        _since.CustomParser = r => ParseMoment(r, now);
        _until.CustomParser = r => ParseMoment(r, now);
        _interval.CustomParser = ParseSpan;
        _refresh.CustomParser = ParseSpan;
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>Reads the typed values; only called on a result without errors.</summary>
    public ReportOptions ToOptions(ParseResult parseResult) => new()
    {
        Files = parseResult.GetValue(_files) ?? [],
        Format = parseResult.GetValue(_format),
        SinceTicks = parseResult.GetValue(_since),
        UntilTicks = parseResult.GetValue(_until),
        Interval = parseResult.GetValue(_interval),
        Follow = parseResult.GetValue(_follow),
        Refresh = parseResult.GetValue(_refresh) ?? TimeSpan.FromSeconds(2),
    };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var options = ToOptions(parseResult);

        // The root command leaves signals to the daemon, so the live view ends itself on Ctrl-C or
        // SIGTERM: with status 0, as quitting top is not a failure.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        return await new ReportRunner(options, output, error, Console.OpenStandardInput, terminal, _time)
            .RunAsync(stop.Token).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static long? ParseMoment(ArgumentResult result, DateTimeOffset now)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (ReportTime.ParseMoment(text, now) is { } ticks)
        {
            return ticks;
        }

        result.AddError($"{OptionName(result)} takes a time such as 2025-11-22T14:00:00Z, 2025-11-22 or 2h (two hours ago), not '{text}'.");
        return null;
    }

    private static TimeSpan? ParseSpan(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (ReportTime.ParseSpan(text) is { } span && span >= TimeSpan.FromMilliseconds(100))
        {
            return span;
        }

        result.AddError($"{OptionName(result)} takes a span such as 30s, 10m, 1h or 1d, not '{text}'.");
        return null;
    }

    private static string OptionName(ArgumentResult result) => (result.Parent as OptionResult)?.IdentifierToken?.Value ?? "option";
}
