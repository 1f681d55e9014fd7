using System.Text;

namespace Bouncer.Rules.Tests;

/// <summary>A file of 10,000 rules compiles completely (speed is measured in the benchmarks, not asserted here).</summary>
public sealed class LargeFileTests
{
    internal static string TenThousandRules()
    {
        var text = new StringBuilder("logoutput: stderr\ntimeout.io: 60\n");
        for (var i = 0; i < 10_000; i++)
        {
            text.Append(
                $"client pass {{\n  from: 10.{i / 256 % 256}.{i % 256}.0/24 port >= 1024 to: 192.0.2.{(i % 250) + 1} port = {1024 + (i % 60000)}\n" +
                "  bounce to: 10.1.1.10 port = 8080\n  protocol: tcp\n  log: connect disconnect error\n  session.max: 100\n}\n");
        }

        return text.ToString();
    }

    [Fact]
    public async Task Ten_thousand_rules_compile()
    {
        var text = TenThousandRules();
        var result = await Task.Run(() => TestCompiler.Compile(text, "big.conf")).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(10_000, result.Table!.Rules.Length);
        Assert.Equal(Enumerable.Range(1, 10_000), result.Table.Rules.Select(r => r.Number));
        Assert.Equal(10_000, result.Table.Listeners.Length);
        Assert.Equal("10.39.15.0/24 port >= 1024", result.Table.Rules[9999].From.ToString());
    }
}
