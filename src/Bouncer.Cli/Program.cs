using Bouncer.Cli.CommandLine;

namespace Bouncer.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        // Before any socket exists: the socket engine reads this once (see the class).
        InlineSocketCompletions.Enable();
        return new BouncerCommand(DefaultActions.Create()).RunAsync(args, Console.Out, Console.Error);
    }
}
