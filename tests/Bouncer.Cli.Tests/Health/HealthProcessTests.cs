using System.Globalization;
using System.Net;
using Bouncer.Cli.CommandLine;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Health;

/// <summary>
/// The built <c>bouncer health</c> against a real daemon with a health rule (a block rule on a
/// loopback port, as in samples/ha/bouncer.conf), and its usage errors.
/// </summary>
// "Process" is BouncerStartInfo's category of tests that start bouncer: CI runs them once more
// against the native binary.
[Trait("Category", "Process")]
public sealed class HealthProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ServingWhileTheDaemonRunsAndNotAfterItStopped()
    {
        var port = Loopback.FreePort(IPAddress.Loopback);
        var config = _directory.File("bouncer.conf");
        await File.WriteAllTextAsync(config, $"client block {{ from: 127.0.0.0/8 to: 127.0.0.1 port = {port} protocol: tcp }}\n");
        var endpoint = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

        using (var daemon = DaemonProcess.Start(["-f", config, "--drain-timeout", "1"]))
        {
            await daemon.WaitForLineAsync("started");

            var (status, stdout, stderr) = await BouncerProcess.RunAsync("health", endpoint);

            Assert.True(status == 0, stderr);
            Assert.Contains($"bouncer health: {endpoint} answered in ", stdout, StringComparison.Ordinal);
            Assert.Contains("(reset)", stdout, StringComparison.Ordinal);

            daemon.Signal(DaemonProcess.SigTerm);
            await daemon.WaitForLineAsync("stopped");
        }

        var after = await BouncerProcess.RunAsync("health", "--timeout", "300", endpoint);

        Assert.Equal(1, after.ExitCode);
        Assert.Contains("not serving: connection refused", after.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "health takes the listener as ADDRESS:PORT")]
    [InlineData("::1:9099", "health takes the listener as ADDRESS:PORT")]
    [InlineData("localhost:9099", "health takes the listener as ADDRESS:PORT")]
    [InlineData("--timeout 0 127.0.0.1:9099", "--timeout must be a number of milliseconds from 1 to 60000, not '0'")]
    [InlineData("--timeout 1s 127.0.0.1:9099", "--timeout must be a number of milliseconds from 1 to 60000, not '1s'")]
    public async Task UsageErrorsExitWithTwo(string arguments, string message)
    {
        var command = new BouncerCommand(new BouncerActions(
            (_, _, _) => throw new InvalidOperationException("health must not verify"),
            (_, _, _, _) => throw new InvalidOperationException("health must not run the daemon")));
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);

        var status = await command.RunAsync(["health", .. arguments.Split(' ')], output, error);

        Assert.Equal(2, status);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }
}
