using System.Globalization;
using Bouncer.Tests.Shared;

namespace Bouncer.Rules.Tests;

/// <summary>
/// Every numeric setting and option at the edges of its range: min, min+1, max-1 and max are
/// accepted; one past either end is an error at the value that names the bound.
/// </summary>
[Trait("Suite", "Reliability")]
public sealed class NumericBoundsTests
{
    public static TheoryData<string, string, string> AcceptedValues()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (keyword, placement) in Placements())
        {
            foreach (var value in NumericKeywords.Accepted(keyword))
            {
                data.Add(keyword.ToString(), placement.ToString(), value.ToString(CultureInfo.InvariantCulture));
            }
        }

        return data;
    }

    public static TheoryData<string, string> Keywords()
    {
        var data = new TheoryData<string, string>();
        foreach (var (keyword, placement) in Placements())
        {
            data.Add(keyword.ToString(), placement.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AcceptedValues))]
    public void A_value_within_the_range_is_accepted(string name, string placement, string value)
    {
        var keyword = Find(name);
        var result = TestCompiler.Compile(Text(keyword, Enum.Parse<Placement>(placement), keyword.Format(long.Parse(value, CultureInfo.InvariantCulture))));

        Assert.Empty(result.Diagnostics.Where(d => d.IsError).Select(TestCompiler.Format));
        Assert.NotNull(result.Table);
    }

    [Theory]
    [MemberData(nameof(Keywords))]
    public void One_past_the_largest_value_is_an_error_that_gives_the_bound(string name, string placement)
    {
        var keyword = Find(name);
        var where = Enum.Parse<Placement>(placement);
        var text = keyword.Format(keyword.Max + 1);
        var number = (keyword.Max + 1).ToString(CultureInfo.InvariantCulture);

        Assert.Equal(
            $"{Position(keyword, where)}: error: {keyword.Keyword}: number '{number}' is too large (at most {keyword.Max})",
            TestCompiler.SingleError(Text(keyword, where, text)));
    }

    [Theory]
    [MemberData(nameof(Keywords))]
    public void One_below_the_smallest_value_is_an_error(string name, string placement)
    {
        var keyword = Find(name);
        var where = Enum.Parse<Placement>(placement);
        var below = keyword.Min - 1;
        var text = Text(keyword, where, keyword.Format(below));
        if (below < 0)
        {
            // A minus sign is not part of the language: the value is missing and the '-' is out of place.
            var result = TestCompiler.Compile(text);
            Assert.Null(result.Table);
            Assert.Contains(result.Diagnostics, d => d.IsError && d.Message.Contains("found '-'", StringComparison.Ordinal));
            return;
        }

        var expected = keyword.Part.Length > 0
            ? $"{keyword.Keyword}: {(keyword.Part == "N" ? "sessions" : "seconds")} must be at least 1"
            : $"{keyword.Keyword}: {below} is too small";
        Assert.StartsWith($"{Position(keyword, where)}: error: {expected}", TestCompiler.SingleError(text), StringComparison.Ordinal);
    }

    private static IEnumerable<(NumericKeyword Keyword, Placement Placement)> Placements() =>
        from keyword in NumericKeywords.All
        from placement in new[] { Placement.Setting, Placement.Rule }
        where keyword.Placement.HasFlag(placement)
        select (keyword, placement);

    private static NumericKeyword Find(string name) => NumericKeywords.All.Single(k => k.ToString() == name);

    private static string Text(NumericKeyword keyword, Placement placement, string value) => placement == Placement.Setting
        ? $"{keyword.Keyword}: {value}\nclient pass {{ from: 0/0 to: 192.0.2.10 port = 80 bounce to: 10.1.1.10 }}\n"
        : $"client pass {{\n    from: 0/0 to: 192.0.2.10 port = 80 bounce to: 10.1.1.10\n    {keyword.Keyword}: {value}\n"
            + (keyword.NeedsStateKey ? "    session.state.key: from\n" : string.Empty)
            + "}\n";

    /// <summary><c>LINE:COL</c> of the number within <see cref="Text"/>.</summary>
    private static string Position(NumericKeyword keyword, Placement placement) => placement == Placement.Setting
        ? $"1:{keyword.Keyword.Length + 3 + keyword.NumberOffset}"
        : $"3:{keyword.Keyword.Length + 7 + keyword.NumberOffset}";
}
