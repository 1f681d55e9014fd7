using System.Globalization;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4): every line is a
/// comment (<c># HELP</c>, <c>#&#160;TYPE</c>) or a sample <c>name{label="value",...} number</c>;
/// anything else throws, naming the line. Samples are keyed as written back by <see cref="Key"/>.
/// </summary>
internal sealed class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private readonly Dictionary<string, double> _samples;

    private PrometheusText(Dictionary<string, double> samples, Dictionary<string, string> types)
    {
        _samples = samples;
        TypesByName = types;
    }

    public IReadOnlyDictionary<string, string> TypesByName { get; }

    public IReadOnlyCollection<string> Keys => _samples.Keys;

    /// <summary>The value of the sample <paramref name="name"/> with exactly these labels; throws when absent.</summary>
    public double this[string name, params (string Name, string Value)[] labels] =>
        _samples.TryGetValue(Key(name, labels), out var value)
            ? value
            : throw new KeyNotFoundException($"no sample {Key(name, labels)}; have:\n{string.Join('\n', _samples.Keys)}");

    public bool Has(string name, params (string Name, string Value)[] labels) => _samples.ContainsKey(Key(name, labels));

    public static string Key(string name, IEnumerable<(string Name, string Value)> labels)
    {
        var sorted = labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => $"{l.Name}=\"{l.Value}\"");
        return $"{name}{{{string.Join(',', sorted)}}}";
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    Require(Types.Contains(parts[3]), number, line, "a metric type");
                    Require(types.TryAdd(parts[2], parts[3]), number, line, "one TYPE line per metric");
                }

                continue;
            }

            var (key, rest) = ReadSeries(line, number);
            Require(rest.StartsWith(' '), number, line, "a space before the value");
            var valueText = rest.Trim().Split(' ')[0];
            Require(
                double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || valueText is "+Inf" or "-Inf" or "NaN",
                number,
                line,
                "a number");
            Require(samples.TryAdd(key, value), number, line, "each series once");
        }

        return new PrometheusText(samples, types);
    }

    private static (string Key, string Remainder) ReadSeries(string line, int number)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        Require(i > 0 && !char.IsAsciiDigit(line[0]), number, line, "a metric name");
        var name = line[..i];
        var labels = new List<(string, string)>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')
                {
                    i++;
                }

                var label = line[start..i];
                Require(label.Length > 0 && line[i] == '=' && line[i + 1] == '"', number, line, "label=\"value\"");
                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw Bad(number, line, "an escape \\n \\\\ or \\\"") });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                labels.Add((label, value.ToString()));
                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        return (Key(name, labels), line[i..]);
    }

    private static void Require(bool condition, int number, string line, string expected)
    {
        if (!condition)
        {
            throw Bad(number, line, expected);
        }
    }

    private static FormatException Bad(int number, string line, string expected) =>
        new($"exposition line {number}: expected {expected}: {line}");
}
