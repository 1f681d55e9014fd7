using System.Collections.Immutable;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Logging;
using Bouncer.Cli.Tests.Support;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Logging;

public sealed class LogPipelineTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 20_000)]
    public async Task FileDestinationShowsEachEventWhileTheFileIsStillOpen()
    {
        var path = _directory.File("bouncer.log");
        using var pipeline = LogPipeline.Build(new LogPipelineOptions { Outputs = [File(path)] });

        pipeline.Logger.Information("first event");
        Assert.Contains("info: first event\n", await WaitForAsync(path, "first event"), StringComparison.Ordinal);
        pipeline.Logger.Information("second event");
        Assert.Contains("info: second event\n", await WaitForAsync(path, "second event"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task ErrorLogReceivesWarningsAndWorseInAddition()
    {
        var main = _directory.File("main.log");
        var errors = _directory.File("errors.log");
        using var pipeline = LogPipeline.Build(new LogPipelineOptions { Outputs = [File(main)], ErrorLog = [File(errors)] });

        pipeline.Logger.Information("routine");
        pipeline.Logger.Warning("suspicious");
        pipeline.Logger.Error("broken");

        var mainText = await WaitForAsync(main, "broken");
        var errorText = await WaitForAsync(errors, "broken");
        Assert.Equal(["info: routine", "warning: suspicious", "error: broken"], Bodies(mainText));
        Assert.Equal(["warning: suspicious", "error: broken"], Bodies(errorText));
    }

    [Fact]
    public void StandardStreamsAreDestinationsAndAreNotWrittenTwice()
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        using (var pipeline = LogPipeline.Build(new LogPipelineOptions
        {
            Outputs = [new LogDestination(LogDestinationKind.Stdout, null), LogDestination.Stderr],
            ErrorLog = [LogDestination.Stderr],
            Stdout = stdout,
            Stderr = stderr,
        }))
        {
            pipeline.Logger.Information("hello");
            pipeline.Logger.Warning("careful");
        }

        Assert.Equal(["info: hello", "warning: careful"], Bodies(stdout.ToString()));
        Assert.Equal(["info: hello", "warning: careful"], Bodies(stderr.ToString()));
    }

    [Fact]
    public void DebugLevelLetsDebugEventsThrough()
    {
        var quiet = new StringWriter(CultureInfo.InvariantCulture);
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        using (var pipeline = LogPipeline.Build(new LogPipelineOptions { Stderr = quiet }))
        {
            pipeline.Logger.Debug("detail");
        }

        using (var pipeline = LogPipeline.Build(new LogPipelineOptions { Stderr = verbose, Debug = 1 }))
        {
            pipeline.Logger.Debug("detail");
        }

        Assert.Empty(quiet.ToString());
        Assert.Equal(["debug: detail"], Bodies(verbose.ToString()));
    }

    [Fact(Timeout = 20_000)]
    public async Task JsonFormatWritesOneObjectPerLine()
    {
        var path = _directory.File("bouncer.json");
        using var pipeline = LogPipeline.Build(new LogPipelineOptions { Outputs = [File(path)], Format = LogFormat.Json });

        pipeline.Logger.Warning("json please");

        var line = (await WaitForAsync(path, "json please")).TrimEnd('\n');
        using var json = JsonDocument.Parse(line);
        Assert.Equal("warning", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("json please", json.RootElement.GetProperty("message").GetString());
    }

    [Fact(Timeout = 20_000)]
    public async Task ReplacingThePipelineReopensRotatedFiles()
    {
        var path = _directory.File("bouncer.log");
        var rotated = _directory.File("bouncer.log.1");
        var options = new LogPipelineOptions { Outputs = [File(path)] };
        using var host = new LogPipelineHost(LogPipeline.Build(options), publishGlobal: false);

        host.Current.Logger.Information("before rotation");
        await WaitForAsync(path, "before rotation");
        System.IO.File.Move(path, rotated);
        host.Replace(LogPipeline.Build(options));
        host.Current.Logger.Information("after rotation");

        Assert.Equal(["info: after rotation"], Bodies(await WaitForAsync(path, "after rotation")));
        Assert.Equal(["info: before rotation"], Bodies(await System.IO.File.ReadAllTextAsync(rotated)));
    }

    [Fact]
    public void UnwritableLogFileFailsTheBuild()
    {
        var blocker = _directory.File("not-a-directory");
        System.IO.File.WriteAllText(blocker, "x");

        Assert.ThrowsAny<IOException>(() => LogPipeline.Build(new LogPipelineOptions
        {
            Outputs = [File(Path.Combine(blocker, "bouncer.log"))],
        }));
    }

    [Fact(Timeout = 20_000)]
    public async Task SyslogDestinationSendsOneDatagramWithFacilityAndSeverity()
    {
        var socketPath = _directory.File("log.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(socketPath));
        using var pipeline = LogPipeline.Build(new LogPipelineOptions
        {
            Outputs = [new LogDestination(LogDestinationKind.Syslog, "local3")],
            SyslogSocketPath = socketPath,
        });

        pipeline.Logger.Warning("to syslog");

        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var length = await receiver.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        var datagram = Encoding.UTF8.GetString(buffer, 0, length);
        Assert.Matches(@"^<156>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d bouncer\[\d+\]: warning: to syslog$", datagram);
    }

    [Fact]
    public void MissingSyslogSocketFallsBackToStderrWithAWarning()
    {
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        using (var pipeline = LogPipeline.Build(new LogPipelineOptions
        {
            Outputs = [new LogDestination(LogDestinationKind.Syslog, null)],
            SyslogSocketPath = _directory.File("absent.sock"),
            Stderr = stderr,
        }))
        {
            Assert.Single(pipeline.Warnings);
            pipeline.Logger.Information("still logged");
        }

        var bodies = Bodies(stderr.ToString());
        Assert.StartsWith("warning: syslog: no local syslog socket", bodies[0], StringComparison.Ordinal);
        Assert.Equal("info: still logged", bodies[1]);
    }

    [Fact]
    public void CommandLineLogFileReplacesLogOutputAndDebugTakesTheLarger()
    {
        var settings = Settings.Defaults with
        {
            LogOutput = [new LogDestination(LogDestinationKind.Syslog, "daemon")],
            ErrorLog = [LogDestination.Stderr],
            Debug = 1,
        };

        var fromFile = LogPipelineOptions.From(settings, new DaemonOptions());
        var overridden = LogPipelineOptions.From(settings, new DaemonOptions { LogFile = "/var/log/b.log", LogFormat = LogFormat.Json, Debug = 2 });

        Assert.Equal([new LogDestination(LogDestinationKind.Syslog, "daemon")], fromFile.Outputs.ToArray());
        Assert.Equal(1, fromFile.Debug);
        Assert.Equal([new LogDestination(LogDestinationKind.File, "/var/log/b.log")], overridden.Outputs.ToArray());
        Assert.Equal([LogDestination.Stderr], overridden.ErrorLog.ToArray());
        Assert.Equal(LogFormat.Json, overridden.Format);
        Assert.Equal(2, overridden.Debug);
    }

    private static LogDestination File(string path) => new(LogDestinationKind.File, path);

    /// <summary>The text after the header of each line ("info: ...").</summary>
    private static string[] Bodies(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line[(line.IndexOf("]: ", StringComparison.Ordinal) + 3)..])
            .ToArray();

    /// <summary>Reads the file (shared with the open sink) until it contains <paramref name="expected"/>; at most 10 s.</summary>
    private static async Task<string> WaitForAsync(string path, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var text = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            if (System.IO.File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                text = await reader.ReadToEndAsync();
                if (text.Contains(expected, StringComparison.Ordinal))
                {
                    return text;
                }
            }

            await Task.Delay(20);
        }

        return text;
    }
}
