using System.Diagnostics;
using BenchmarkDotNet.Running;
using Bouncer.Rules;

namespace Bouncer.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args is ["--first-parse"])
        {
            FirstParse();
            return;
        }

        if (args is ["--parse-cpu", ..])
        {
            ParseCpuTime.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : ParseCpuTime.DefaultRuns);
            return;
        }

        if (args is ["--idle-footprint", ..])
        {
            IdleSessionFootprint.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : IdleSessionFootprint.DefaultSessions);
            return;
        }

        if (args is ["--connect-alloc", ..])
        {
            ConnectionAllocation.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : ConnectionAllocation.DefaultConnections);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    /// <summary>
    /// The first parse in a fresh process (JIT included), which BenchmarkDotNet's steady-state figures
    /// leave out but a daemon's first load and reload pay; then a few warm parses for comparison.
    /// </summary>
    private static void FirstParse()
    {
        var text = RuleFileGenerator.Generate(10_000);
        for (var run = 1; run <= 6; run++)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var result = RuleFile.Parse(text, "bench.conf", QuietNetworkEnvironment.Instance);
            clock.Stop();
            var megabytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (1024.0 * 1024.0);
            Console.WriteLine($"parse {run}: {clock.Elapsed.TotalMilliseconds:F0} ms, {megabytes:F1} MB allocated, {result.Table?.Rules.Length ?? 0} rules, {result.Diagnostics.Length} diagnostics");
            foreach (var diagnostic in result.Diagnostics.Take(3))
            {
                Console.WriteLine($"  {diagnostic}");
            }
        }
    }
}
