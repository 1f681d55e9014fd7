using System.Diagnostics;
using System.Net;
using Bouncer.Cli.Tests.Support;
using Xunit.Abstractions;

namespace Bouncer.Cli.Tests.Status;

/// <summary>
/// The status page in a real browser: headless chromium renders <c>/</c> at a desktop and at a
/// phone's width and takes screenshots, kept under the test output directory as artifacts
/// (<c>artifacts/status-page-*.png</c>; the paths are printed).
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class StatusPageBrowserTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public StatusPageBrowserTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _directory.Dispose();

    [ChromiumFact(Timeout = 120_000)]
    public async Task HeadlessChromiumRendersTheRuleTableAndChartsOnADesktopAndAPhone()
    {
        await using var tcpTarget = new TaggedTcpTarget(Loopback.TargetA, "A");
        await using var udpTarget = new TaggedUdpTarget(Loopback.TargetA, "U");
        await using var site = await StatusSite.StartAsync(_directory, tcpTarget.Port, udpTarget.Port);
        for (var i = 0; i < 5; i++)
        {
            var (socket, _) = await TaggedTcpTarget.ReachAsync(Loopback.Bouncer, site.TcpPort);
            socket.Dispose();
        }

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        foreach (var (name, size) in new[] { ("desktop", "1100,600"), ("phone", "390,844") })
        {
            var screenshot = Path.Combine(artifacts, $"status-page-{name}.png");
            File.Delete(screenshot);
            await ScreenshotAsync(new Uri($"http://{site.Status}/"), screenshot, size);
            _output.WriteLine($"screenshot: {screenshot}");

            var bytes = await File.ReadAllBytesAsync(screenshot);
            Assert.True(bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']), "not a PNG file");

            // A blank page of that size compresses to a few KB; text, table rules and charts do not.
            Assert.True(bytes.Length > 15_000, $"{screenshot} is {bytes.Length} bytes: nearly empty");
        }
    }

    private async Task ScreenshotAsync(Uri page, string file, string windowSize)
    {
        var start = new ProcessStartInfo(ChromiumFactAttribute.Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            $"--user-data-dir={_directory.File("chromium-profile")}", $"--screenshot={file}",
            $"--window-size={windowSize}", page.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var chromium = Process.Start(start)!;
        var stdout = chromium.StandardOutput.ReadToEndAsync();
        var stderr = chromium.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await chromium.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            chromium.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium took more than 60 s:\n{await stderr}");
        }

        Assert.True(File.Exists(file), $"chromium (exit {chromium.ExitCode}) wrote no screenshot:\n{await stdout}\n{await stderr}");
    }
}
