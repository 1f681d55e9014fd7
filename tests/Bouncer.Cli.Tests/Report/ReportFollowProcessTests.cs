using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Report;

/// <summary><c>bouncer report --follow</c> as a process: it sees lines appended, follows logrotate's rename, and ends cleanly on SIGINT.</summary>
public sealed class ReportFollowProcessTests : IDisposable
{
    private const int SigInt = 2;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task FollowSeesAppendedLinesAndTheFileAfterARename()
    {
        var log = _directory.File("bouncer.log");
        File.WriteAllText(log, Refusals(0, 1));
        var start = BouncerStartInfo.For(["report", "--follow", "--format", "json", "--refresh", "200ms", log]);
        using var process = Process.Start(start)!;
        var documents = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (documents)
                {
                    documents.Add(line);
                }
            }
        });
        try
        {
            await WaitForRefusedAsync(documents, 1);

            File.AppendAllText(log, Refusals(1, 2));
            await WaitForRefusedAsync(documents, 3);

            // logrotate renames the file; the daemon writes a last line into it before its HUP reopens the log.
            File.Move(log, log + ".1");
            File.AppendAllText(log + ".1", Refusals(3, 1));
            File.WriteAllText(log, Refusals(4, 2));
            await WaitForRefusedAsync(documents, 6);

            Assert.Equal(0, Kill(process.Id, SigInt));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Refusals of the block rule by <paramref name="count"/> clients, at seconds <paramref name="first"/> on.</summary>
    private static string Refusals(int first, int count)
    {
        var text = new LogText();
        for (var i = first; i < first + count; i++)
        {
            text.Refuse(KnownTraffic.Ssh, KnownTraffic.S(i), $"10.0.0.{i + 1}:4000");
        }

        return text.ToString();
    }

    /// <summary>Waits (at most 20 s) for a redrawn report whose block rule has <paramref name="refused"/> refusals.</summary>
    private static async Task WaitForRefusedAsync(List<string> documents, long refused)
    {
        var clock = Stopwatch.StartNew();
        long seen = -1;
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            string? last;
            lock (documents)
            {
                last = documents.Count > 0 ? documents[^1] : null;
            }

            if (last is not null)
            {
                using var report = JsonDocument.Parse(last);
                var rules = report.RootElement.GetProperty("rules");
                seen = rules.GetArrayLength() == 0 ? 0 : rules[0].GetProperty("refused").GetInt64();
                if (seen == refused)
                {
                    Assert.Equal(refused, rules[0].GetProperty("clients").GetInt64());
                    return;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no report with {refused} refusals within 20 s (last had {seen})");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
