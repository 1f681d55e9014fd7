namespace Bouncer.Engine.Limits;

/// <summary>Which limit refused a session; <see cref="Describe"/> gives the option as the rule file spells it.</summary>
internal enum LimitRefusal
{
    None,
    SessionMax,
    SessionThrottle,
    StateMax,
    StateThrottle,
}

internal static class LimitRefusalExtensions
{
    public static string Describe(this LimitRefusal refusal) => refusal switch
    {
        LimitRefusal.SessionMax => "session.max",
        LimitRefusal.SessionThrottle => "session.throttle",
        LimitRefusal.StateMax => "session.state.max",
        LimitRefusal.StateThrottle => "session.state.throttle",
        _ => "none",
    };
}
