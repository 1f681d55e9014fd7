using System.Text.RegularExpressions;

namespace Bouncer.Rules.Tests;

/// <summary>
/// One test per file of Corpus/valid and Corpus/invalid. A file states what it must give in
/// <c># expect:</c> comment lines: a diagnostic (<c>7:31: error: ...</c>) or a fact of the compiled
/// table (see <see cref="TableFacts"/>). Diagnostics must match exactly, in order; facts must all hold.
/// </summary>
public sealed partial class CorpusTests
{
    private static string CorpusDirectory(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", kind);

    public static TheoryData<string> ValidFiles() => Files("valid");

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    private static TheoryData<string> Files(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDirectory(kind), "*.conf").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Corpus_is_large_enough()
    {
        Assert.True(ValidFiles().Count >= 40, $"{ValidFiles().Count} valid files");
        Assert.True(InvalidFiles().Count >= 60, $"{InvalidFiles().Count} invalid files");
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Valid_file_compiles_to_what_it_expects(string name)
    {
        var (text, expectedDiagnostics, expectedFacts) = Read("valid", name);
        Assert.NotEmpty(expectedFacts);
        var result = TestCompiler.Compile(text, name);
        Assert.Equal(expectedDiagnostics, result.Diagnostics.Select(TestCompiler.Format).ToArray());
        Assert.NotNull(result.Table);
        var facts = TableFacts.Of(result.Table);
        foreach (var fact in expectedFacts)
        {
            Assert.True(facts.Contains(fact), $"missing fact '{fact}'; the table has:\n{string.Join("\n", facts)}");
        }
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Invalid_file_reports_exactly_what_it_expects(string name)
    {
        var (text, expectedDiagnostics, expectedFacts) = Read("invalid", name);
        Assert.Empty(expectedFacts);
        Assert.Contains(expectedDiagnostics, d => d.Contains(": error: ", StringComparison.Ordinal) || d.StartsWith("error: ", StringComparison.Ordinal));
        var result = TestCompiler.Compile(text, name);
        Assert.Null(result.Table);
        Assert.Equal(expectedDiagnostics, result.Diagnostics.Select(TestCompiler.Format).ToArray());
    }

    private static (string Text, string[] Diagnostics, string[] Facts) Read(string kind, string name)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory(kind), name));
        var expectations = text.Split('\n')
            .Select(line => ExpectLine().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value.TrimEnd())
            .ToArray();
        var diagnostics = expectations.Where(e => DiagnosticLine().IsMatch(e)).ToArray();
        var facts = expectations.Except(diagnostics).ToArray();
        return (text, diagnostics, facts);
    }

    [GeneratedRegex(@"^# expect: (.*)$")]
    private static partial Regex ExpectLine();

    [GeneratedRegex(@"^(\d+:\d+: )?(error|warning): ")]
    private static partial Regex DiagnosticLine();
}
