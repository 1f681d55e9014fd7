using System.Diagnostics;
using Bouncer.Rules;
using Bouncer.Rules.Syntax;

namespace Bouncer.Benchmarks;

/// <summary>
/// CPU time per parse of the 10,000-rule file, for the lexer, the lexer and the grammar, and the
/// whole parse: median and minimum over a number of runs after 40 warm-up runs. On a shared
/// machine BenchmarkDotNet's wall-clock figures swing with the load of other processes; the CPU
/// time the process spent swings much less (with the workstation collector, collections run on the
/// allocating thread, so they count). Run with <c>--parse-cpu [runs]</c>.
/// </summary>
internal static class ParseCpuTime
{
    public const int DefaultRuns = 60;

    public static void Run(int runs)
    {
        var text = RuleFileGenerator.Generate(10_000);
        Measure("lexer", runs, () => Lexer.Tokenize(text, "bench.conf").Count);
        Measure("lexer and grammar", runs, () => RuleGrammar.Parse(Lexer.Tokenize(text, "bench.conf"), "bench.conf").Items.Length);
        Measure("whole parse", runs, () => RuleFile.Parse(text, "bench.conf", QuietNetworkEnvironment.Instance).Diagnostics.Length);
    }

    private static void Measure(string what, int runs, Func<int> parse)
    {
        for (var i = 0; i < 40; i++)
        {
            parse();
        }

        var cpu = new double[runs];
        var wall = new double[runs];
        long allocated = 0;
        for (var i = 0; i < runs; i++)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpuStart = System.Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            parse();
            wall[i] = clock.Elapsed.TotalMilliseconds;
            cpu[i] = (System.Environment.CpuUsage.TotalTime - cpuStart).TotalMilliseconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
        }

        Array.Sort(cpu);
        Array.Sort(wall);
        Console.WriteLine(
            $"{what,-18} CPU median {cpu[runs / 2],6:F1} ms, min {cpu[0],6:F1} ms; wall median {wall[runs / 2],6:F1} ms; {allocated / (1024.0 * 1024.0):F2} MB allocated");
    }
}
