using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>Reads the values of one setting or option as words, numbers, yes/no or members of a fixed list.</summary>
internal sealed class ValueReader(DiagnosticBag diagnostics)
{
    public DiagnosticBag Diagnostics => diagnostics;

    /// <summary>The words; a port clause is an error here (only addresses take one).</summary>
    public List<WordSyntax> Words(OptionSyntax option)
    {
        var words = new List<WordSyntax>(option.Values.Length);
        foreach (var value in option.Values)
        {
            if (value is WordSyntax word)
            {
                words.Add(word);
            }
            else
            {
                RejectPort(option, value);
            }
        }

        return words;
    }

    /// <summary>Exactly one word, or null after an error. Reads the values in place, as <see cref="Words"/> would.</summary>
    public WordSyntax? Single(OptionSyntax option, string expected)
    {
        var count = CountWords(option, out var first, out var second);
        if (count == 0)
        {
            if (option.Values.Length == 0)
            {
                diagnostics.Error(option.Position, $"{option.Keyword}: needs a value ({expected})");
            }

            return null;
        }

        if (count > 1)
        {
            diagnostics.Error(second!.Position, $"{option.Keyword}: takes one value ({expected}); found '{second.Text}' as well");
            return null;
        }

        return first;
    }

    /// <summary>
    /// The number of words, with the first two; a port clause is an error, as in <see cref="Words"/>.
    /// Runs for every option of a file: no list of words for the one or two wanted.
    /// </summary>
    private int CountWords(OptionSyntax option, out WordSyntax? first, out WordSyntax? second)
    {
        var count = 0;
        first = null;
        second = null;
        foreach (var value in option.Values)
        {
            if (value is WordSyntax word)
            {
                if (count == 0)
                {
                    first = word;
                }
                else if (count == 1)
                {
                    second = word;
                }

                count++;
            }
            else
            {
                RejectPort(option, value);
            }
        }

        return count;
    }

    /// <summary>Only addresses take a port clause; every other value list reports one this way.</summary>
    private void RejectPort(OptionSyntax option, ValueSyntax value) =>
        diagnostics.Error(value.Position, $"{option.Keyword}: takes no port ('{value}')");

    public long? Number(OptionSyntax option, long min, long max, string expected)
    {
        if (Single(option, expected) is not { } word)
        {
            return null;
        }

        if (!Numbers.TryParse(word.Text, max, out var value, out var error))
        {
            diagnostics.Error(word.Position, $"{option.Keyword}: {error}");
            return null;
        }

        if (value < min)
        {
            diagnostics.Error(word.Position, $"{option.Keyword}: {word.Text} is too small ({expected})");
            return null;
        }

        return value;
    }

    /// <summary>Seconds, at least <paramref name="min"/>, at most a 32-bit count.</summary>
    public TimeSpan? Seconds(OptionSyntax option, long min)
    {
        var expected = min == 0 ? "seconds, 0 for none" : $"seconds, at least {min}";
        return Number(option, min, int.MaxValue, expected) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    public bool? YesNo(OptionSyntax option) =>
        OneOf(option, s_yesNo, $"{option.Keyword} value", "yes, no");

    private static readonly Dictionary<string, bool> s_yesNo = new(StringComparer.Ordinal) { ["yes"] = true, ["no"] = false };

    /// <summary>One member of <paramref name="values"/>.</summary>
    public T? OneOf<T>(OptionSyntax option, IReadOnlyDictionary<string, T> values, string what, string expected)
        where T : struct
    {
        if (Single(option, expected) is not { } word)
        {
            return null;
        }

        if (values.TryGetValue(word.Text, out var value))
        {
            return value;
        }

        diagnostics.Error(word.Position, $"unknown {what} '{word.Text}' (expected {expected})");
        return null;
    }

    /// <summary>
    /// Every member named, combined with <paramref name="combine"/>; null after an error. The
    /// grammar already ended the list at the next keyword.
    /// </summary>
    public T? ListOf<T>(OptionSyntax option, IReadOnlyDictionary<string, T> values, string what, string expected, Func<T, T, T> combine)
        where T : struct
    {
        if (CountWords(option, out _, out _) == 0)
        {
            if (option.Values.Length == 0)
            {
                diagnostics.Error(option.Position, $"{option.Keyword}: needs a value ({expected})");
            }

            return null;
        }

        T? result = null;
        var ok = true;
        foreach (var item in option.Values)
        {
            if (item is not WordSyntax word)
            {
                continue;
            }

            if (values.TryGetValue(word.Text, out var value))
            {
                result = result is null ? value : combine(result.Value, value);
            }
            else
            {
                diagnostics.Error(word.Position, $"unknown {what} '{word.Text}' (expected {expected})");
                ok = false;
            }
        }

        return ok ? result : null;
    }

    public void Error(SourcePosition position, string message) => diagnostics.Error(position, message);

    public void Warning(SourcePosition position, string message) => diagnostics.Warning(position, message);
}
