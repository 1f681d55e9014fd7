using System.Globalization;

namespace Bouncer.Cli.Report;

/// <summary>
/// Adds session lines up per rule (<see cref="RuleTally"/>), leaving out lines outside the
/// <c>--since</c>/<c>--until</c> window, and counts the lines it could not read.
/// </summary>
public sealed class ReportAggregator
{
    private readonly Dictionary<string, RuleTally> _rules = new(StringComparer.Ordinal);
    private readonly long? _sinceTicks;
    private readonly long? _untilTicks;
    private readonly long? _intervalTicks;

    public ReportAggregator(long? sinceTicks = null, long? untilTicks = null, TimeSpan? interval = null)
    {
        _sinceTicks = sinceTicks;
        _untilTicks = untilTicks;
        _intervalTicks = interval?.Ticks;
    }

    public long? IntervalTicks => _intervalTicks;

    public long? SinceTicks => _sinceTicks;

    public IEnumerable<RuleTally> Rules => _rules.Values;

    /// <summary>Lines read, of every kind, in the window or not.</summary>
    public long Lines { get; private set; }

    /// <summary>Lines that are not in a layout Bouncer writes, or session lines that do not parse (also lines cut short or too long).</summary>
    public long SkippedLines { get; private set; }

    /// <summary>Rules in the order a report lists them: by number, protocol and listening endpoint.</summary>
    public IReadOnlyList<RuleTally> OrderedRules() =>
        [.. _rules.Values
            .OrderBy(r => r.Number)
            .ThenBy(r => r.Protocol, StringComparer.Ordinal)
            .ThenBy(r => r.Listen, StringComparer.Ordinal)];

    public void Add(LineKind kind, in SessionLine line)
    {
        Lines++;
        if (kind == LineKind.Unreadable)
        {
            SkippedLines++;
            return;
        }

        if (kind != LineKind.Session || line.Ticks < _sinceTicks || line.Ticks >= _untilTicks)
        {
            return;
        }

        RuleOf(line).Add(line, _intervalTicks, _sinceTicks);
    }

    /// <summary>A line too long to be Bouncer's was passed over.</summary>
    public void AddOverlongLine()
    {
        Lines++;
        SkippedLines++;
    }

    private RuleTally RuleOf(in SessionLine line)
    {
        // The key "N tcp 127.0.0.5.9000" is built on the stack; a string is made only for a new rule.
        // It fits: a rule number has at most 10 digits and the parsers take endpoints of at most 70 characters.
        Span<char> key = stackalloc char[128];
        line.Rule.TryFormat(key, out var length, default, CultureInfo.InvariantCulture);
        key[length++] = ' ';
        line.Protocol.CopyTo(key[length..]);
        length += line.Protocol.Length;
        key[length++] = ' ';
        line.Local.CopyTo(key[length..]);
        length += line.Local.Length;
        var lookup = _rules.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(key[..length], out var rule))
        {
            rule = new RuleTally(line.Rule, line.Protocol.ToString(), line.Local.ToString());
            _rules.Add(key[..length].ToString(), rule);
        }

        return rule;
    }
}
