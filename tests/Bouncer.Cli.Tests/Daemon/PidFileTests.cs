using Bouncer.Cli.Daemon;
using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Daemon;

public sealed class PidFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void WritesThePidAndRemovesItOnDispose()
    {
        var path = _directory.File("bouncer.pid");

        using (PidFile.Create(path, 4242))
        {
            Assert.Equal("4242\n", File.ReadAllText(path));
            Assert.False(File.Exists(path + ".tmp"));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AStaleFileIsReplaced()
    {
        var path = _directory.File("bouncer.pid");
        File.WriteAllText(path, "999999\n");

        using var pidFile = PidFile.Create(path, 4242);

        Assert.Equal("4242\n", File.ReadAllText(path));
    }

    [Fact]
    public void AFileRewrittenByAnotherProcessIsLeftAlone()
    {
        var path = _directory.File("bouncer.pid");
        var pidFile = PidFile.Create(path, 4242);
        File.WriteAllText(path, "5151\n");

        pidFile.Dispose();

        Assert.Equal("5151\n", File.ReadAllText(path));
    }

    [Fact]
    public void AnUnwritableLocationThrows()
    {
        Assert.ThrowsAny<IOException>(() => PidFile.Create(_directory.File("missing-dir/bouncer.pid"), 1));
    }
}
