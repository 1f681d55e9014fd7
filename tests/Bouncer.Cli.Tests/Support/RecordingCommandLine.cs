using System.Globalization;
using Bouncer.Cli.CommandLine;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// Runs <see cref="BouncerCommand"/> with actions that record the options they were given instead
/// of checking a file or starting the daemon: the check answers 17, the daemon 0.
/// </summary>
internal sealed class RecordingCommandLine
{
    public StringWriter Output { get; } = new(CultureInfo.InvariantCulture);

    public StringWriter Error { get; } = new(CultureInfo.InvariantCulture);

    /// <summary>The options the check was given; null when it did not run.</summary>
    public DaemonOptions? Verified { get; private set; }

    /// <summary>The options the daemon was given; null when it did not run.</summary>
    public DaemonOptions? Ran { get; private set; }

    public Task<int> RunAsync(params string[] args)
    {
        var command = new BouncerCommand(new BouncerActions(
            (options, _, _) =>
            {
                Verified = options;
                return 17;
            },
            (options, _, _, _) =>
            {
                Ran = options;
                return Task.FromResult(0);
            }));
        return command.RunAsync(args, Output, Error);
    }
}
