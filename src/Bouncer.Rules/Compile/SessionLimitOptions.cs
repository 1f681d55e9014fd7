using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// A rule's <c>session.*</c> limits: <c>session.max</c> and <c>session.throttle</c> for the rule,
/// <c>session.state.max</c> and <c>session.state.throttle</c> per client, which need
/// <c>session.state.key: from</c>.
/// </summary>
internal static class SessionLimitOptions
{
    private static readonly Dictionary<string, bool> s_stateKeys = new(StringComparer.Ordinal) { ["from"] = true };

    public static bool IsSessionLimit(string keyword) =>
        keyword is "session.max" or "session.throttle" or "session.state.key" or "session.state.max" or "session.state.throttle";

    /// <summary>Reads <paramref name="option"/> into <paramref name="draft"/>. Call only when <see cref="IsSessionLimit"/> holds.</summary>
    public static void Apply(OptionSyntax option, ValueReader values, RuleDraft draft)
    {
        switch (option.Keyword)
        {
            case "session.max":
                draft.Max = (int?)values.Number(option, 1, int.MaxValue, "sessions, at least 1");
                break;
            case "session.throttle":
                draft.Throttle = ReadThrottle(option, values);
                break;
            case "session.state.key":
                draft.StateKeyAt = ReadStateKey(option, values) ? option.Position : null;
                break;
            case "session.state.max":
                draft.StateMaxAt = option.Position;
                draft.StateMax = (int?)values.Number(option, 1, int.MaxValue, "sessions per client, at least 1");
                break;
            case "session.state.throttle":
                draft.StateThrottleAt = option.Position;
                draft.StateThrottle = ReadThrottle(option, values);
                break;
        }
    }

    /// <summary>Once the rule is read: a state key needs per-client limits, and per-client limits need the key.</summary>
    public static void CheckPerClientLimits(RuleDraft draft, ValueReader values)
    {
        if (draft.StateKeyAt is { } keyAt && draft.StateMaxAt is null && draft.StateThrottleAt is null)
        {
            values.Error(keyAt, "session.state.key: from needs session.state.max: or session.state.throttle: (the limits it applies per client)");
        }

        if (draft.StateKeyAt is null && !draft.Seen("session.state.key"))
        {
            ReportNeedsStateKey(draft.StateMaxAt, values);
            ReportNeedsStateKey(draft.StateThrottleAt, values);
        }
    }

    private static void ReportNeedsStateKey(SourcePosition? at, ValueReader values)
    {
        if (at is { } position)
        {
            values.Error(position, "per-client limits need session.state.key: from");
        }
    }

    private static bool ReadStateKey(OptionSyntax option, ValueReader values)
    {
        if (values.Single(option, "from") is { Text: "hostid" } word)
        {
            values.Error(word.Position, "session.state.key: hostid is not supported (Bouncer reads no host-id headers); use from");
            return false;
        }

        return values.OneOf(option, s_stateKeys, "session.state.key", "from") is not null;
    }

    /// <summary><c>N/S</c>: at most N new sessions per S seconds.</summary>
    private static Throttle? ReadThrottle(OptionSyntax option, ValueReader values)
    {
        const string expected = "N/S: at most N new sessions per S seconds, like 10/60";
        if (values.Single(option, expected) is not { } word)
        {
            return null;
        }

        var slash = word.Text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            values.Error(word.Position, $"{option.Keyword}: expected {expected}, found '{word.Text}'");
            return null;
        }

        var count = ThrottlePart(option, values, word.Text[..slash], word.Position, "sessions");
        var seconds = ThrottlePart(option, values, word.Text[(slash + 1)..], word.At(slash + 1), "seconds");
        return count is null || seconds is null ? null : new Throttle((int)count, TimeSpan.FromSeconds(seconds.Value));
    }

    private static long? ThrottlePart(OptionSyntax option, ValueReader values, string text, SourcePosition position, string what)
    {
        if (!Numbers.TryParse(text, int.MaxValue, out var value, out var error))
        {
            values.Error(position, $"{option.Keyword}: {error}");
            return null;
        }

        if (value < 1)
        {
            values.Error(position, $"{option.Keyword}: {what} must be at least 1");
            return null;
        }

        return value;
    }
}
