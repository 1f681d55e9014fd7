using System.Net;
using System.Net.Sockets;
using Bouncer.Cli.Daemon;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Daemon;

/// <summary>The decision and the order of calls of <c>user.unprivileged</c>, on a pretend process (the real one is in PrivilegeDropProcessTests).</summary>
public sealed class PrivilegeDropTests
{
    private static readonly UserSettings Nobody = new(null, "nobody");

    [Fact]
    public void WithoutTheSettingNothingHappens()
    {
        var credentials = new FakeCredentials(userId: 0);

        Assert.Same(PrivilegePlan.Nothing, new PrivilegeDrop(credentials).Plan(UserSettings.None));
        Assert.Same(PrivilegePlan.Nothing, new PrivilegeDrop(credentials).Plan(new UserSettings("root", null)));
    }

    [Fact]
    public void NotStartedAsRootTheSettingIsAWarning()
    {
        var plan = new PrivilegeDrop(new FakeCredentials(userId: 1000)).Plan(Nobody);

        Assert.Null(plan.DropTo);
        Assert.Null(plan.Refusal);
        Assert.Equal("user.unprivileged: nobody has no effect: bouncer was not started as root (it runs as uid 1000)", plan.Notice);
    }

    [Fact]
    public void AlreadyRunningAsThatUserIsQuiet()
    {
        // The systemd way: User=bouncer in the unit and user.unprivileged: bouncer in the file.
        Assert.Same(PrivilegePlan.Nothing, new PrivilegeDrop(new FakeCredentials(userId: 65534)).Plan(Nobody));
    }

    [Fact]
    public void AsRootAKnownUserIsPlannedBeforeAnythingIsBound()
    {
        Assert.Equal(FakeCredentials.Nobody, new PrivilegeDrop(new FakeCredentials(userId: 0)).Plan(Nobody).DropTo);
    }

    [Fact]
    public void AsRootAnUnknownUserRefusesTheStart()
    {
        var plan = new PrivilegeDrop(new FakeCredentials(userId: 0)).Plan(new UserSettings(null, "bouncer"));

        Assert.Null(plan.DropTo);
        Assert.Equal("user.unprivileged: no user 'bouncer' on this host; refusing to start as root", plan.Refusal);
    }

    [Fact]
    public void AsRootAUserWithIdZeroRefusesTheStart()
    {
        var plan = new PrivilegeDrop(new FakeCredentials(userId: 0)).Plan(new UserSettings(null, "root"));

        Assert.Equal("user.unprivileged: 'root' has user id 0, so dropping to it would keep root; refusing to start", plan.Refusal);
    }

    [Fact]
    public void AsRootWherePrivilegesCannotBeDroppedTheStartIsRefused()
    {
        var credentials = new FakeCredentials(userId: 0) { CanDropPrivileges = false };

        var plan = new PrivilegeDrop(credentials).Plan(Nobody);

        Assert.Null(plan.DropTo);
        Assert.StartsWith("user.unprivileged: nobody is set and bouncer runs as root, but dropping to another user is implemented only on Linux; refusing to run as root", plan.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDropSetsGroupsThenGroupIdsThenUserIdsAndProvesRootIsGone()
    {
        var credentials = new FakeCredentials(userId: 0, groupId: 0);

        Assert.True(new PrivilegeDrop(credentials).TryDrop(FakeCredentials.Nobody, out var report));

        Assert.Equal(["setgroups 65534", "setresgid 65534", "setresuid 65534", "setresuid 0"], credentials.Calls);
        Assert.Equal([65534u, 65534u, 65534u], credentials.UserIds());
        Assert.Equal(
            "now running as user nobody (uid 65534, gid 65534) with no capabilities (1 thread checked); " +
            "ports below 1024 can no longer be bound, so a reload cannot add one",
            report);
    }

    [Fact]
    public void WithoutProcTheThreadsAreSaidToBeUnchecked()
    {
        var credentials = new FakeCredentials(userId: 0, groupId: 0) { HasProc = false };

        Assert.True(new PrivilegeDrop(credentials).TryDrop(FakeCredentials.Nobody, out var report));

        Assert.Contains("(threads not checked (no /proc/self/task))", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("setgroups", "setgroups([65534]) failed: Operation not permitted (errno 1)", 1)]
    [InlineData("setresgid", "setresgid(65534) failed: Operation not permitted (errno 1)", 2)]
    [InlineData("setresuid", "setresuid(65534) failed: Operation not permitted (errno 1)", 3)]
    public void ARefusedStepStopsTheDropThere(string refused, string expected, int calls)
    {
        var credentials = new FakeCredentials(userId: 0, groupId: 0);
        credentials.Refused.Add(refused);

        Assert.False(new PrivilegeDrop(credentials).TryDrop(FakeCredentials.Nobody, out var report));

        Assert.Equal(expected, report);
        Assert.Equal(calls, credentials.Calls.Count);
    }

    [Fact]
    public void RootThatCanBeTakenBackFailsTheDrop()
    {
        var credentials = new FakeCredentials(userId: 0, groupId: 0) { RootComesBack = true };

        Assert.False(new PrivilegeDrop(credentials).TryDrop(FakeCredentials.Nobody, out var report));

        Assert.Equal("after the drop setresuid(0) still succeeds: the process could become root again", report);
    }

    [Fact]
    public void AThreadLeftAsRootFailsTheDrop()
    {
        var credentials = new FakeCredentials(userId: 0, groupId: 0)
        {
            LeftBehind = new ThreadCredentials("107", [0, 0, 0, 0], [0, 0, 0, 0], [0], HoldsCapabilities: true),
        };

        Assert.False(new PrivilegeDrop(credentials).TryDrop(FakeCredentials.Nobody, out var report));

        Assert.Equal("after the drop thread 107: uid 0 0 0 0, gid 0 0 0 0, groups [0], holds capabilities", report);
    }

    [Fact]
    public void ALowPortRefusedAfterTheDropIsExplained()
    {
        var failure = BindFailure(81, SocketError.AccessDenied);

        var text = PrivilegeDrop.ExplainBindFailure(failure, FakeCredentials.Nobody);

        Assert.Equal(
            "pass(2) at bouncer.conf:7: cannot listen on tcp 192.0.2.10:81: permission denied: binding port 81 below 1024 needs " +
            "CAP_NET_BIND_SERVICE, which was dropped with user.unprivileged: nobody; restart bouncer to bind it, or run it under " +
            "systemd as that user with AmbientCapabilities=CAP_NET_BIND_SERVICE instead of user.unprivileged",
            text);
    }

    [Theory]
    [InlineData(8081, SocketError.AccessDenied)]
    [InlineData(81, SocketError.AddressAlreadyInUse)]
    public void OtherBindFailuresAreLeftAsTheyAre(int port, SocketError error)
    {
        Assert.Null(PrivilegeDrop.ExplainBindFailure(BindFailure(port, error), FakeCredentials.Nobody));
    }

    [Fact]
    public void ThreadStatusIsReadFromTheKernelsLines()
    {
        const string Status = "Name:\tbouncer\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t65534\t65534\t65534\t65534\n" +
            "Gid:\t65534\t65534\t65534\t65534\nFDSize:\t64\nGroups:\t65534 \nCapInh:\t0000000000000000\n" +
            "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";

        var thread = ThreadCredentials.Parse("4242", Status);

        Assert.NotNull(thread);
        Assert.True(thread.IsExactly(FakeCredentials.Nobody));
        Assert.False(ThreadCredentials.Parse("4242", Status.Replace("CapEff:\t0000000000000000", "CapEff:\t0000000000000400", StringComparison.Ordinal))!.IsExactly(FakeCredentials.Nobody));
        Assert.False(ThreadCredentials.Parse("4242", Status.Replace("Groups:\t65534 ", "Groups:\t0 65534", StringComparison.Ordinal))!.IsExactly(FakeCredentials.Nobody));
        Assert.Null(ThreadCredentials.Parse("4242", Status.Replace("Uid:\t65534\t65534\t65534\t65534", "Uid:\t65534", StringComparison.Ordinal)));
    }

    private static ListenerBindException BindFailure(int port, SocketError error)
    {
        var rule = TestRules.Pass(2, port: port) with { Position = new SourcePosition("bouncer.conf", 7, 1) };
        var listener = new Listener(TransportProtocol.Tcp, new ListenEndpoint(IPAddress.Parse("192.0.2.10"), port), [rule]);
        var cause = error == SocketError.AccessDenied ? "permission denied" : "address already in use";
        return new ListenerBindException($"pass(2) at bouncer.conf:7: cannot listen on tcp 192.0.2.10:{port}: {cause}", new SocketException((int)error))
        {
            Listener = listener,
        };
    }
}
