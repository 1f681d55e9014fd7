namespace Bouncer.Rules.Model;

/// <summary>At most <see cref="Count"/> new sessions per <see cref="Period"/>.</summary>
public sealed record Throttle(int Count, TimeSpan Period)
{
    public override string ToString() => $"{Count}/{(int)Period.TotalSeconds}";
}

/// <summary>
/// Session limits of one rule. Null means "no limit". The <c>State</c> limits apply per client
/// address and are present only with <c>session.state.key: from</c>.
/// </summary>
public sealed record SessionLimits(int? Max, Throttle? Throttle, int? StateMax, Throttle? StateThrottle)
{
    public static SessionLimits None { get; } = new(null, null, null, null);

    public bool IsUnlimited => Max is null && Throttle is null && StateMax is null && StateThrottle is null;
}

/// <summary>
/// Timeouts in force for a rule (settings, then the rule's own). <see cref="TimeSpan.Zero"/> means
/// "none" for the I/O and fin-wait timeouts.
/// </summary>
public sealed record Timeouts(TimeSpan Connect, TimeSpan IoTcp, TimeSpan IoUdp, TimeSpan TcpFinWait)
{
    public static Timeouts Defaults { get; } = new(
        TimeSpan.FromSeconds(30), TimeSpan.Zero, TimeSpan.FromSeconds(3600), TimeSpan.Zero);
}
