using Bouncer.Cli.CommandLine;

namespace Bouncer.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) =>
        new BouncerCommand(DefaultActions.Create()).RunAsync(args, Console.Out, Console.Error);
}
