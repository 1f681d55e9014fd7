using BenchmarkDotNet.Attributes;
using Bouncer.Rules;

namespace Bouncer.Benchmarks;

/// <summary>Lexing, parsing and compiling a 10,000-rule file: the work of a configuration reload.</summary>
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
}
