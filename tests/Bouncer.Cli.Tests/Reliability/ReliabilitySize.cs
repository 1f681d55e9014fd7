namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// How big the reliability probes run: short in every test run, long for release checks with
/// <c>BOUNCER_RELIABILITY=long</c> (tests/reliability/run-long.sh). Each probe takes its count
/// from here, so both versions are the same code.
/// </summary>
internal static class ReliabilitySize
{
    public const string Variable = "BOUNCER_RELIABILITY";

    /// <summary>Trait value (name <c>Suite</c>) of the probes, so one filter selects them all.</summary>
    public const string Suite = "Reliability";

    public static bool IsLong { get; } =
        string.Equals(System.Environment.GetEnvironmentVariable(Variable), "long", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="shortRun"/> normally, <paramref name="longRun"/> in the long version.</summary>
    public static T Pick<T>(T shortRun, T longRun) => IsLong ? longRun : shortRun;

    /// <summary>An override for one count, for a long run that must fit a time budget (for example BOUNCER_RELIABILITY_FILES=20000).</summary>
    public static int Count(string name, int shortRun, int longRun) =>
        int.TryParse(System.Environment.GetEnvironmentVariable($"{Variable}_{name}"), out var value) && value > 0
            ? value
            : Pick(shortRun, longRun);

    /// <summary>A test's own deadline: generous, and longer for the long version.</summary>
    public static TimeSpan Deadline(int shortSeconds, int longSeconds) => TimeSpan.FromSeconds(Pick(shortSeconds, longSeconds));
}
