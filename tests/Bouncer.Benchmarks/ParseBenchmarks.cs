using BenchmarkDotNet.Attributes;
using Bouncer.Rules;
using Bouncer.Rules.Syntax;

namespace Bouncer.Benchmarks;

/// <summary>
/// Lexing, parsing and compiling a 10,000-rule file: the work of a configuration reload. The lexer
/// alone and the lexer with the grammar are measured too, so a change to either shows apart from
/// the compile step.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private string _text = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _text = RuleFileGenerator.Generate(10_000);
        var check = RuleFile.Parse(_text, "bench.conf", QuietNetworkEnvironment.Instance);
        if (check.Table is null || check.Table.Rules.Length != 10_000 || !check.Diagnostics.IsEmpty)
        {
            throw new InvalidOperationException($"the generated file does not compile cleanly: {string.Join("; ", check.Diagnostics.Take(5))}");
        }
    }

    [Benchmark]
    public CompileResult ParseTenThousandRules() => RuleFile.Parse(_text, "bench.conf", QuietNetworkEnvironment.Instance);

    [Benchmark]
    public int TokenizeTenThousandRules() => Lexer.Tokenize(_text, "bench.conf").Count;

    [Benchmark]
    public int ReadSyntaxOfTenThousandRules() => RuleGrammar.Parse(Lexer.Tokenize(_text, "bench.conf"), "bench.conf").Items.Length;
}
