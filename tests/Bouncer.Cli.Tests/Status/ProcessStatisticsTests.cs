using Bouncer.Cli.Status;

namespace Bouncer.Cli.Tests.Status;

public sealed class ProcessStatisticsTests
{
    [Fact]
    public void The_descriptor_limit_is_the_soft_limit_the_kernel_reports()
    {
        // "Max open files  <soft>  <hard>  files" in /proc/self/limits; "unlimited" has no number.
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var expected = long.TryParse(soft, out var limit) ? limit : -1;

        Assert.Equal(expected, ProcessStatistics.MaxDescriptors());
        Assert.True(ProcessStatistics.OpenDescriptors() > 0);
    }
}
