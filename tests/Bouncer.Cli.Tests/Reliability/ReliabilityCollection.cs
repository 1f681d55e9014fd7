namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// The load-making probes run one at a time and beside no other test: they use both cores for
/// seconds at a stretch, which would starve the time-bounded waits of tests running next to them
/// (and theirs would skew the probes' figures).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability probes";
}
