using System.Globalization;
using System.Text;
using System.Text.Json;
using Bouncer.Cli.Report;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Report;

/// <summary><c>bouncer report</c> over files of known traffic, run in-process.</summary>
public sealed class ReportRunnerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<bool> Layouts => [false, true];

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task ExactCountsPerRuleOverARotationAndTheLiveFile(bool json)
    {
        var files = KnownTraffic.WriteFiles(_directory, json);

        using var report = await RunJsonAsync(new ReportOptions { Files = files, Format = ReportFormat.Json });

        var rules = report.RootElement.GetProperty("rules");
        Assert.Equal(3, rules.GetArrayLength());
        var web = rules[0];
        Assert.Equal("pass(1)", web.GetProperty("rule").GetString());
        Assert.Equal("tcp", web.GetProperty("protocol").GetString());
        Assert.Equal("192.0.2.10.80", web.GetProperty("listen").GetString());
        Assert.Equal("10.1.1.10.8080", web.GetProperty("target").GetString());
        Assert.Equal(3, web.GetProperty("sessions").GetInt64());
        Assert.Equal(1, web.GetProperty("open").GetInt64());
        Assert.Equal(1, web.GetProperty("refused").GetInt64());
        Assert.Equal(4, web.GetProperty("clients").GetInt64());
        Assert.Equal(160, web.GetProperty("bytes_from_clients").GetInt64());
        Assert.Equal(1520, web.GetProperty("bytes_to_clients").GetInt64());
        Assert.Equal("2025-11-22T14:00:00.000000Z", web.GetProperty("first_seen").GetString());
        Assert.Equal("2025-11-22T14:00:26.000000Z", web.GetProperty("last_seen").GetString());
        Assert.Equal(
            """{"local client closed":2,"remote peer closed":1,"session limit reached":1}""",
            Compact(web.GetProperty("end_reasons")));
        Assert.Equal(
            """[{"address":"198.51.100.7","sessions":2,"refused":0,"bytes_from_client":110,"bytes_to_client":1020},""" +
            """{"address":"198.51.100.8","sessions":1,"refused":0,"bytes_from_client":50,"bytes_to_client":500},""" +
            """{"address":"198.51.100.10","sessions":0,"refused":1,"bytes_from_client":0,"bytes_to_client":0},""" +
            """{"address":"198.51.100.9","sessions":0,"refused":0,"bytes_from_client":0,"bytes_to_client":0}]""",
            Compact(web.GetProperty("top_clients")));

        var ssh = rules[1];
        Assert.Equal(("block(2)", "192.0.2.10.22", JsonValueKind.Null), (ssh.GetProperty("rule").GetString(), ssh.GetProperty("listen").GetString(), ssh.GetProperty("target").ValueKind));
        Assert.Equal((0L, 0L, 3L, 2L), Counts(ssh));
        Assert.Equal("""{"blocked":3}""", Compact(ssh.GetProperty("end_reasons")));

        var dns = rules[2];
        Assert.Equal(("pass(3)", "udp", "192.0.2.11.53"), (dns.GetProperty("rule").GetString(), dns.GetProperty("protocol").GetString(), dns.GetProperty("listen").GetString()));
        Assert.Equal((2L, 0L, 0L, 2L), Counts(dns));
        Assert.Equal((80L, 192L), (dns.GetProperty("bytes_from_clients").GetInt64(), dns.GetProperty("bytes_to_clients").GetInt64()));

        Assert.Equal(0, report.RootElement.GetProperty("series").GetArrayLength());
        Assert.Equal(2, report.RootElement.GetProperty("skipped_lines").GetInt64());
    }

    [Fact]
    public async Task TheRotationIsReadFirstWhateverTheOrderOfTheNames()
    {
        var files = KnownTraffic.WriteFiles(_directory, json: false);

        using var liveFirst = await RunJsonAsync(new ReportOptions { Files = files, Format = ReportFormat.Json });
        using var rotationFirst = await RunJsonAsync(new ReportOptions { Files = [files[1], files[0]], Format = ReportFormat.Json });

        // Read live file first, the session that opened in the rotation would never see its end.
        Assert.Equal(1, liveFirst.RootElement.GetProperty("rules")[0].GetProperty("open").GetInt64());
        Assert.Equal(Compact(liveFirst.RootElement), Compact(rotationFirst.RootElement));
    }

    [Fact]
    public void InputsAreOrderedByTheirFirstTimeStampNotTheirNames()
    {
        File.WriteAllText(_directory.File("b.log"), new LogText().Open(KnownTraffic.Web, KnownTraffic.S(30), "198.51.100.7:1").ToString());
        KnownTraffic.WriteGzip(_directory.File("c.log"), new LogText().Open(KnownTraffic.Web, KnownTraffic.S(10), "198.51.100.7:1").ToString());
        File.WriteAllText(_directory.File("a.log"), "no time stamps here\n");
        File.WriteAllText(_directory.File("d.log"), new LogText(json: true).Open(KnownTraffic.Web, KnownTraffic.S(20), "198.51.100.7:1").ToString());

        var inputs = new[] { "a.log", "b.log", "c.log", "d.log" }.Select((name, i) => LogInput.Open(_directory.File(name), i, () => Stream.Null)).ToList();
        try
        {
            var ordered = LogInput.OldestFirst(inputs).Select(i => Path.GetFileName(i.Name));

            Assert.Equal(["c.log", "d.log", "b.log", "a.log"], ordered);
            Assert.True(inputs[2].IsCompressed);
        }
        finally
        {
            inputs.ForEach(i => i.Dispose());
        }
    }

    [Fact]
    public async Task SinceAndUntilLeaveOutLinesOutsideTheWindow()
    {
        var files = KnownTraffic.WriteFiles(_directory, json: false);

        using var report = await RunJsonAsync(new ReportOptions
        {
            Files = files,
            Format = ReportFormat.Json,
            SinceTicks = (LogText.Start + KnownTraffic.S(10)).UtcTicks,
            UntilTicks = (LogText.Start + KnownTraffic.S(26)).UtcTicks,
        });

        var rules = report.RootElement.GetProperty("rules");
        var web = Assert.Single(rules.EnumerateArray());
        Assert.Equal((2L, 1L, 0L, 3L), Counts(web));
        Assert.Equal("2025-11-22T14:00:10.000000Z", web.GetProperty("first_seen").GetString());
        Assert.Equal("2025-11-22T14:00:25.000000Z", web.GetProperty("last_seen").GetString());
    }

    [Fact]
    public async Task IntervalSeriesCountsSessionsByTheirStartAndRefusalsByTheirTime()
    {
        var files = KnownTraffic.WriteFiles(_directory, json: false);

        using var report = await RunJsonAsync(new ReportOptions { Files = files, Format = ReportFormat.Json, Interval = KnownTraffic.S(10) });

        var series = report.RootElement.GetProperty("series");
        Assert.Equal(3, series.GetArrayLength());
        var web = series[0];
        Assert.Equal(("pass(1)", 10.0), (web.GetProperty("rule").GetString(), web.GetProperty("interval_seconds").GetDouble()));

        // 13:59:50 holds the session that ended at 14:00:20 after 30 s; every rule lists the same four intervals.
        Assert.Equal(
            """[{"start":"2025-11-22T13:59:50.000000Z","sessions":1,"refused":0},{"start":"2025-11-22T14:00:00.000000Z","sessions":1,"refused":0},""" +
            """{"start":"2025-11-22T14:00:10.000000Z","sessions":1,"refused":0},{"start":"2025-11-22T14:00:20.000000Z","sessions":1,"refused":1}]""",
            Compact(web.GetProperty("intervals")));
        Assert.Equal("0,3,0,0", string.Join(',', series[1].GetProperty("intervals").EnumerateArray().Select(i => i.GetProperty("refused").GetInt64())));
        Assert.Equal("0,0,0,2", string.Join(',', series[2].GetProperty("intervals").EnumerateArray().Select(i => i.GetProperty("sessions").GetInt64())));
    }

    [Fact]
    public async Task SeriesStartsAtSinceForSessionsThatBeganBeforeIt()
    {
        var files = KnownTraffic.WriteFiles(_directory, json: false);

        using var report = await RunJsonAsync(new ReportOptions
        {
            Files = files,
            Format = ReportFormat.Json,
            Interval = KnownTraffic.S(10),
            SinceTicks = (LogText.Start + KnownTraffic.S(10)).UtcTicks,
        });

        var intervals = report.RootElement.GetProperty("series")[0].GetProperty("intervals");
        Assert.Equal("2025-11-22T14:00:10.000000Z", intervals[0].GetProperty("start").GetString());
        Assert.Equal("2,1", string.Join(',', intervals.EnumerateArray().Select(i => i.GetProperty("sessions").GetInt64())));
    }

    [Fact]
    public async Task TextReportDrawsTheSeriesAsABarPerRule()
    {
        var files = KnownTraffic.WriteFiles(_directory, json: false);

        var text = await RunAsync(new ReportOptions { Files = files, Interval = KnownTraffic.S(10) });

        Assert.StartsWith("bouncer report: 3 rules, 14 lines read, 2 skipped; 2025-11-22 14:00:00 to 2025-11-22 14:00:31 UTC\n", text, StringComparison.Ordinal);
        Assert.Contains("  sessions per 10s |████| max 1, 2025-11-22 13:59:50 to 2025-11-22 14:00:30 UTC\n", text, StringComparison.Ordinal);
        Assert.Contains("  refused per 10s | █  | max 3, 2025-11-22 13:59:50 to 2025-11-22 14:00:30 UTC\n", text, StringComparison.Ordinal);
        Assert.Contains("  sessions per 10s |   █| max 2, ", text, StringComparison.Ordinal);
        Assert.Contains("  top clients: 198.51.100.7 (2 sessions), 198.51.100.8 (1 session), 198.51.100.10 (0 sessions, 1 refused), 198.51.100.9 (0 sessions)\n", text, StringComparison.Ordinal);
        Assert.Matches(@"\npass\(1\) +tcp +192\.0\.2\.10\.80 +10\.1\.1\.10\.8080 +3 +1 +1 +4 +160 B +1\.5 KiB +2025-11-22 14:00:00 +2025-11-22 14:00:26\n", text);
    }

    [Theory]
    [InlineData(new long[] { 1, 0, 8, 4 }, "▁ █▄")]
    [InlineData(new long[] { 0, 0 }, "  ")]
    [InlineData(new long[] { 100, 1 }, "█▁")]
    public void BarsAreScaledToTheBusiestInterval(long[] values, string expected)
    {
        Assert.Equal(expected, TextReportRenderer.Bar(values));
    }

    [Fact]
    public async Task StandardInputMayBeCompressedToo()
    {
        var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(KnownTraffic.Rotated(json: false).ToString()));
        }

        compressed.Position = 0;
        using var report = await RunJsonAsync(new ReportOptions { Files = ["-"], Format = ReportFormat.Json }, () => compressed);

        var rules = report.RootElement.GetProperty("rules");
        Assert.Equal((1L, 1L, 0L, 2L), Counts(rules[0]));
        Assert.Equal(1, report.RootElement.GetProperty("skipped_lines").GetInt64());
    }

    [Fact]
    public async Task LinesCutShortAndOverlongLinesAreSkippedAndCounted()
    {
        var path = _directory.File("bouncer.log");
        var whole = new LogText().End(KnownTraffic.Web, KnownTraffic.S(1), "198.51.100.7:1000", 1, 2, KnownTraffic.S(1)).ToString();
        File.WriteAllText(path,
            whole +
            new string('x', LineSplitter.MaxLineLength * 2) + "\n" +
            whole +
            whole[..(whole.Length / 2)]); // the writer died mid-line

        using var report = await RunJsonAsync(new ReportOptions { Files = [path], Format = ReportFormat.Json });

        Assert.Equal(2, report.RootElement.GetProperty("rules")[0].GetProperty("sessions").GetInt64());
        Assert.Equal(2, report.RootElement.GetProperty("skipped_lines").GetInt64());
    }

    [Fact]
    public async Task ALastLineWithoutNewlineCounts()
    {
        var path = _directory.File("bouncer.log");
        File.WriteAllText(path, new LogText().Refuse(KnownTraffic.Ssh, KnownTraffic.S(1), "10.0.0.1:1").ToString().TrimEnd('\n'));

        using var report = await RunJsonAsync(new ReportOptions { Files = [path], Format = ReportFormat.Json });

        Assert.Equal(1, report.RootElement.GetProperty("rules")[0].GetProperty("refused").GetInt64());
    }

    [Fact]
    public async Task AMissingFileIsAnErrorThatNamesIt()
    {
        var error = new StringWriter(CultureInfo.InvariantCulture);
        var runner = new ReportRunner(new ReportOptions { Files = [_directory.File("nope.log")] }, TextWriter.Null, error, () => Stream.Null, false, TimeProvider.System);

        Assert.Equal(3, await runner.RunAsync(CancellationToken.None));
        Assert.StartsWith($"bouncer: report: cannot read {_directory.File("nope.log")}: ", error.ToString(), StringComparison.Ordinal);
    }

    private static (long Sessions, long Open, long Refused, long Clients) Counts(JsonElement rule) =>
        (rule.GetProperty("sessions").GetInt64(), rule.GetProperty("open").GetInt64(), rule.GetProperty("refused").GetInt64(), rule.GetProperty("clients").GetInt64());

    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element);

    private static async Task<JsonDocument> RunJsonAsync(ReportOptions options, Func<Stream>? standardInput = null) =>
        JsonDocument.Parse(await RunAsync(options, standardInput));

    private static async Task<string> RunAsync(ReportOptions options, Func<Stream>? standardInput = null)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var error = new StringWriter(CultureInfo.InvariantCulture);
        var status = await new ReportRunner(options, output, error, standardInput ?? (() => Stream.Null), outputIsTerminal: false, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.True(status == 0, $"status {status}: {error}");
        Assert.Equal("", error.ToString());
        return output.ToString();
    }
}
