using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Daemon;
using Bouncer.Cli.Verify;

namespace Bouncer.Cli;

/// <summary>The real actions behind the command line: verify reads the file, the daemon serves.</summary>
internal static class DefaultActions
{
    public static BouncerActions Create() => new(
        (options, output, error) => new VerifyCommand(RuleFileLoader.Load, output, error).Run(options.ConfigPath),
        (options, output, error, cancellationToken) =>
            new DaemonRunner(options, DaemonDependencies.Production(output, error)).RunAsync(cancellationToken));
}
