using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Bouncer.Cli.Health;
using Bouncer.Cli.Report;

namespace Bouncer.Cli.CommandLine;

/// <summary>
/// The command line (design §5.1), with Barefoot's letters kept: parses, validates, reports usage
/// errors with exit status 2, and hands a <see cref="DaemonOptions"/> to the chosen action.
/// </summary>
public sealed class BouncerCommand
{
    /// <summary>Printed for <c>-D</c>: Barefoot forks into the background, Bouncer never does.</summary>
    public const string DetachNotice =
        "bouncer: -D ignored: Bouncer always runs in the foreground; run it as a systemd service (Type=notify) or with your supervisor of choice to put it in the background.";

    /// <summary>Printed for <c>-N</c>: Barefoot's worker processes have no counterpart.</summary>
    public const string ProcessCountNotice =
        "bouncer: -N ignored: Bouncer is one process with asynchronous I/O that uses every core; there are no worker processes to count. Use session.max: or --max-udp-flows to bound load.";

    private readonly BouncerActions _actions;
    private readonly RootCommand _root;

    private readonly Option<string> _config = new("--config", "-f")
    {
        Description = "Rule file to read.",
        HelpName = "FILE",
        DefaultValueFactory = _ => DaemonOptions.DefaultConfigPath,
    };

    private readonly Option<int> _debug = new("--debug", "-d")
    {
        Description = "Debug level 0-2: 1 logs every event of every rule, including the implicit block (rule 0); 2 also logs I/O payloads.",
        HelpName = "N",
    };

    private readonly Option<bool> _verify = new("--verify", "-V")
    {
        Description = "Check the rule file, print the compiled rule table, and exit (0 valid, 1 errors). Binds nothing.",
    };

    private readonly Option<string?> _pidFile = new("--pidfile", "-p")
    {
        Description = "Write the process id to FILE once the listeners are bound; removed at exit.",
        HelpName = "FILE",
    };

    private readonly Option<bool> _noKeepAlive = new("-n")
    {
        Description = "Turn TCP keep-alive off on both legs of every session.",
    };

    private readonly Option<string?> _logFile = new("--log")
    {
        Description = "Write the log to FILE instead of the rule file's logoutput: destinations.",
        HelpName = "FILE",
    };

    private readonly Option<LogFormat> _logFormat = new("--log-format")
    {
        Description = "Log layout: text (Barefoot's lines) or json (one object per line).",
        HelpName = "text|json",
        DefaultValueFactory = _ => LogFormat.Text,
    };

    private readonly Option<bool> _watch = new("--watch")
    {
        Description = "Reload when the rule file changes (works everywhere; the way to reload where there is no SIGHUP).",
    };

    private readonly Option<int> _drainTimeout = new("--drain-timeout")
    {
        Description = "Seconds TCP sessions may take to finish after SIGTERM/SIGINT before they are closed.",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)DaemonOptions.DefaultDrainTimeout.TotalSeconds,
    };

    private readonly Option<int?> _maxUdpFlows = new("--max-udp-flows")
    {
        Description = "Upper bound on live UDP client flows, against floods of spoofed sources.",
        HelpName = "N",
    };

    private readonly Option<int?> _logQueue = new("--log-queue")
    {
        Description = "Log lines each log destination holds while it does not take them (a stuck reader, a slow disk); beyond that they are dropped and counted.",
        HelpName = "N",
    };

    private readonly Option<System.Net.IPEndPoint?> _status = new("--status")
    {
        Description = "Serve Prometheus metrics (/metrics) and a status page (/) over HTTP on this address only; read-only, for a management network.",
        HelpName = "ADDRESS:PORT",
    };

    private readonly Option<bool> _detach = new("-D")
    {
        Description = "Barefoot's detach flag; accepted and ignored (Bouncer runs in the foreground).",
    };

    private readonly Option<string?> _processCount = new("-N")
    {
        Description = "Barefoot's process count; accepted and ignored (Bouncer is one process).",
        HelpName = "N",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public BouncerCommand(BouncerActions actions)
    {
        _actions = actions;
        _root = new RootCommand("Bouncer: a TCP and UDP port bouncer that reads Barefoot rule files.");
        foreach (var version in _root.Options.OfType<VersionOption>().ToList())
        {
            _root.Options.Remove(version);
        }

        _root.Options.Add(new VersionOption("--version", "-v"));
        Option[] options =
        [
            _config, _debug, _verify, _pidFile, _noKeepAlive, _logFile, _logFormat, _watch, _drainTimeout,
            _maxUdpFlows, _logQueue, _status, _detach, _processCount,
        ];
        foreach (var option in options)
        {
            _root.Options.Add(option);
        }

        _debug.CustomParser = r => ParseInRange(r, 0, 2);
        _drainTimeout.CustomParser = r => ParseInRange(r, 0, int.MaxValue / 1000);
        _maxUdpFlows.CustomParser = r => ParseInRange(r, 1, int.MaxValue);
        _logQueue.CustomParser = r => ParseInRange(r, 1, 1_000_000);
        _status.CustomParser = ParseStatusEndpoint;
        _root.SetAction(InvokeAsync);
        _root.Subcommands.Add(new ReportCommandLine(actions.Time).Command);
        _root.Subcommands.Add(new HealthCommandLine(actions.Time).Command);
    }

    /// <summary>Parses <paramref name="args"/> without running anything.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => _root.Parse(args);

    /// <summary>Parses and runs. Usage errors go to <paramref name="error"/> with exit status 2.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var parseResult = Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var parseError in parseResult.Errors)
            {
                await error.WriteLineAsync($"bouncer: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Try 'bouncer --help' for more information.").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        // Signals are the daemon's business (drain on SIGTERM, reload on SIGHUP): the parser must
        // not install its own termination handling, which would cut the drain short.
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The last line of defence: report, and exit with a status that is not a configuration error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await error.WriteLineAsync($"bouncer: internal error: {ex}").ConfigureAwait(false);
            return ExitCodes.InternalError;
        }
    }

    /// <summary>Reads the typed values; only called on a result without errors.</summary>
    public DaemonOptions ToOptions(ParseResult parseResult) => new()
    {
        ConfigPath = parseResult.GetValue(_config) ?? DaemonOptions.DefaultConfigPath,
        Debug = parseResult.GetValue(_debug),
        PidFile = parseResult.GetValue(_pidFile),
        NoKeepAlive = parseResult.GetValue(_noKeepAlive),
        LogFile = parseResult.GetValue(_logFile),
        LogFormat = parseResult.GetValue(_logFormat),
        Watch = parseResult.GetValue(_watch),
        DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(_drainTimeout)),
        MaxUdpFlows = parseResult.GetValue(_maxUdpFlows),
        LogQueue = parseResult.GetValue(_logQueue),
        Status = parseResult.GetValue(_status),
    };

    /// <summary>A whole number within bounds; anything else is a usage error naming the option.</summary>
    private static int ParseInRange(ArgumentResult result, int low, int high)
    {
        var name = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? "option";
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var range = high == int.MaxValue ? $"at least {low}" : $"{low} to {high}";
        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) ||
            value < low || value > high)
        {
            result.AddError($"{name} must be a number {range}, not '{text}'.");
        }

        return value;
    }

    private static System.Net.IPEndPoint? ParseStatusEndpoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Status.StatusEndpoint.TryParse(text, out var endpoint, out var problem))
        {
            return endpoint;
        }

        result.AddError($"--status must be {Status.StatusEndpoint.Expected}: {problem}.");
        return null;
    }

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        if (parseResult.GetValue(_detach))
        {
            await error.WriteLineAsync(DetachNotice).ConfigureAwait(false);
        }

        if (parseResult.GetResult(_processCount) is not null)
        {
            await error.WriteLineAsync(ProcessCountNotice).ConfigureAwait(false);
        }

        var options = ToOptions(parseResult);
        return parseResult.GetValue(_verify)
            ? _actions.Verify(options, output, error)
            : await _actions.RunDaemon(options, output, error, cancellationToken).ConfigureAwait(false);
    }
}
