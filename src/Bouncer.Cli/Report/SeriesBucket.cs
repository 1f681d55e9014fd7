namespace Bouncer.Cli.Report;

/// <summary>Sessions started and clients refused in one interval of a rule's series.</summary>
public record struct SeriesBucket(long Sessions, long Refused);
