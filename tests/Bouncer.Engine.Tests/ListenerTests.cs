using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class ListenerTests
{
    [Fact(Timeout = 20_000)]
    public async Task A_bind_failure_names_rule_address_and_cause_and_closes_the_rest()
    {
        var free = TestNet.FreeEndPoint();
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(TestNet.NextAddress(), 0));
        occupier.Listen();
        var taken = (IPEndPoint)occupier.LocalEndPoint!;
        var engine = new BouncerEngine(new EngineOptions(), new RecordingSink(), new RecordingLog(), new FakeResolver());
        await using (engine)
        {
            var failure = await Assert.ThrowsAsync<ListenerBindException>(() =>
                engine.StartAsync(Table(Pass(1, free, free), Pass(2, taken, free)), CancellationToken.None));

            Assert.Equal($"pass(2) at test.conf:20: cannot listen on tcp {taken}: address already in use (another program, or another rule file, listens there)", failure.Message);
            Assert.DoesNotContain('\n', failure.Message);
        }

        // Rolled back: the listener of rule 1 was closed again, so its address is free.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(free);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_wildcard_listener_matches_the_local_address_the_client_reached()
    {
        await using var target = TestServer.Echo();
        var port = TestNet.FreePort(IPAddress.Any);
        var wildcard = new IPEndPoint(IPAddress.Any, port);
        var reached = new IPEndPoint(TestNet.NextAddress(), port);
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, wildcard, target.EndPoint)));

        using var client = await TestNet.ConnectAsync(reached);
        await TestNet.SendAllAsync(client, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(client, 1, default));

        var opened = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);
        Assert.Equal(reached, opened.Local);
    }

    [Fact(Timeout = 20_000)]
    public async Task Same_same_rotation_leaves_from_the_address_the_client_reached()
    {
        await using var target = TestServer.Echo();
        var port = TestNet.FreePort(IPAddress.Any);
        var reached = new IPEndPoint(TestNet.NextAddress(), port);
        var settings = Settings.Defaults with { Externals = [IPAddress.Loopback], Rotation = ExternalRotation.SameSame };
        await using var bouncer = await EngineHarness.StartAsync(Table(settings, Pass(1, new IPEndPoint(IPAddress.Any, port), target.EndPoint)));

        using var client = await TestNet.ConnectAsync(reached);
        await TestNet.SendAllAsync(client, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(client, 1, default));

        Assert.Equal(reached.Address, target.Remotes.Single().Address);
    }

    [Fact(Timeout = 30_000)]
    public async Task Reload_opens_new_keeps_unchanged_and_closes_gone_listeners()
    {
        await using var target = TestServer.Echo();
        var kept = TestNet.FreeEndPoint();
        var gone = TestNet.FreeEndPoint();
        var added = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, kept, target.EndPoint), Pass(2, gone, target.EndPoint)));
        using var live = await TestNet.ConnectAsync(kept);
        await TestNet.SendAllAsync(live, new byte[1], default);
        await TestNet.ReceiveExactlyAsync(live, 1, default);

        var summary = await bouncer.Engine.ReloadAsync(Table(Pass(1, kept, target.EndPoint), Pass(2, added, target.EndPoint)), CancellationToken.None);

        Assert.Equal(new ReloadSummary(Opened: 1, Kept: 1, Closed: 1), summary);
        await TestNet.SendAllAsync(live, new byte[2], default);
        Assert.Equal(2, (await TestNet.ReceiveExactlyAsync(live, 2, default)).Length);
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestNet.ConnectAsync(gone));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        using var fresh = await TestNet.ConnectAsync(added);
        await TestNet.SendAllAsync(fresh, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(fresh, 1, default));
    }

    [Fact(Timeout = 30_000)]
    public async Task Sessions_keep_their_rule_across_a_reload()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var oldRule = Pass(1, listen, target.EndPoint);
        await using var bouncer = await EngineHarness.StartAsync(Table(oldRule));
        using var live = await TestNet.ConnectAsync(listen);
        await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);

        var newRule = Block(1, listen);
        await bouncer.Engine.ReloadAsync(Table(newRule), CancellationToken.None);

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, null, TimeSpan.FromSeconds(10)));
        Assert.Same(newRule, (await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.Blocked)).Rule);
        await TestNet.SendAllAsync(live, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(live, 1, default));
        live.Shutdown(SocketShutdown.Send);
        Assert.Same(oldRule, (await bouncer.Events.WaitForAsync(e => e.Reason == EndReason.LocalClientClosed)).Rule);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_reload_that_cannot_bind_keeps_the_old_table()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(TestNet.NextAddress(), 0));
        occupier.Listen();
        var added = TestNet.FreeEndPoint();
        var oldTable = Table(Pass(1, listen, target.EndPoint));
        await using var bouncer = await EngineHarness.StartAsync(oldTable);

        await Assert.ThrowsAsync<ListenerBindException>(() => bouncer.Engine.ReloadAsync(
            Table(Pass(1, listen, target.EndPoint), Pass(2, added, target.EndPoint), Pass(3, (IPEndPoint)occupier.LocalEndPoint!, target.EndPoint)),
            CancellationToken.None));

        Assert.Same(oldTable, bouncer.Engine.CurrentTable);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(added);
        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, new byte[1], default);
        Assert.Single(await TestNet.ReceiveExactlyAsync(client, 1, default));
    }
}
