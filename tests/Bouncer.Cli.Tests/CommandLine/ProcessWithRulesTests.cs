using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.CommandLine;

/// <summary>The executable reading real rule files.</summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
public sealed class ProcessWithRulesTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task VerifyOfAValidFilePrintsTheTableAndExitsZero()
    {
        var path = Write("good.conf", "client pass { from: 127.0.0.0/8 to: 127.0.0.2 port = 8080 bounce to: 127.0.0.3 port = 80 protocol: tcp }");

        var (code, stdout, stderr) = await BouncerProcess.RunAsync("-V", "-f", path);

        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.Contains("rule 1: client pass", stdout, StringComparison.Ordinal);
        Assert.Contains("  tcp 127.0.0.2:8080 -> rule 1", stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task VerifyOfABrokenFileReportsGccStyleAndExitsOne()
    {
        var path = Write("bad.conf", "client pass { from: 127.0.0.1 to: 127.0.0.2 port = 80 bounce to: 127.0.0.3 }");

        var (code, stdout, stderr) = await BouncerProcess.RunAsync("-V", "-f", path);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Matches(@"bad\.conf:1:\d+: error: ", stderr);
    }

    [Fact(Timeout = 60_000)]
    public async Task VerifyOfAMissingFileExitsOne()
    {
        var (code, _, stderr) = await BouncerProcess.RunAsync("-V", "-f", _directory.File("absent.conf"));

        Assert.Equal(1, code);
        Assert.Contains("absent.conf", stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task SigtermDrainsExitsZeroAndRemovesThePidFile()
    {
        var port = FreePort(IPAddress.Parse("127.0.0.2"));
        var config = Write("run.conf", $"client pass {{ from: 127.0.0.0/8 to: 127.0.0.2 port = {port} bounce to: 127.0.0.3 port = 9 protocol: tcp }}");
        var pidPath = _directory.File("bouncer.pid");
        using var bouncer = BouncerProcess.Start("-f", config, "-p", pidPath, "--drain-timeout", "2");

        for (var i = 0; i < 500 && !File.Exists(pidPath); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal($"{bouncer.Id}\n", await File.ReadAllTextAsync(pidPath));
        using (var kill = Process.Start("kill", ["-TERM", bouncer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var (code, _, _) = await bouncer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        Assert.False(File.Exists(pidPath));
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private string Write(string name, string text)
    {
        var path = _directory.File(name);
        File.WriteAllText(path, text + "\n");
        return path;
    }
}
