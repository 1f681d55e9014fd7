namespace Bouncer.Rules.Model;

/// <summary>The comparison a <c>port</c> clause makes.</summary>
public enum PortOperator
{
    Any,
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Range,
}

/// <summary>
/// A source or destination port condition. <see cref="Low"/> is the operand of a single-value
/// operator; a range uses both bounds, inclusive.
/// </summary>
public sealed record PortMatch(PortOperator Operator, int Low, int High)
{
    public static PortMatch Any { get; } = new(PortOperator.Any, 0, 65535);

    public static PortMatch Exactly(int port) => new(PortOperator.Equal, port, port);

    public bool Matches(int port) => Operator switch
    {
        PortOperator.Any => true,
        PortOperator.Equal => port == Low,
        PortOperator.NotEqual => port != Low,
        PortOperator.Less => port < Low,
        PortOperator.Greater => port > Low,
        PortOperator.LessOrEqual => port <= Low,
        PortOperator.GreaterOrEqual => port >= Low,
        PortOperator.Range => port >= Low && port <= High,
        _ => false,
    };

    /// <summary>Normalized text, as <c>bouncer -V</c> prints it.</summary>
    public override string ToString() => Operator switch
    {
        PortOperator.Any => "port any",
        PortOperator.Equal => $"port = {Low}",
        PortOperator.NotEqual => $"port != {Low}",
        PortOperator.Less => $"port < {Low}",
        PortOperator.Greater => $"port > {Low}",
        PortOperator.LessOrEqual => $"port <= {Low}",
        PortOperator.GreaterOrEqual => $"port >= {Low}",
        _ => $"port {Low}-{High}",
    };
}
