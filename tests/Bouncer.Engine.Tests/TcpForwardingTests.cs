using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Engine.Epoll;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class TcpForwardingTests
{
    private const long LargeTransfer = 100L * 1024 * 1024;

    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Moves_100_MB_each_way_at_once_byte_exact(bool kernelSplice)
    {
        var splicedBefore = SplicePipe.Opened;
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            var receiving = TestNet.ReceivePatternAsync(socket, ct);
            await TestNet.SendPatternAsync(socket, LargeTransfer, ct);
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(await receiving);
        });
        var listen = TestNet.FreeEndPoint();
        var options = new EngineOptions { KernelSplice = kernelSplice };
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)), options: options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));

        using var client = await TestNet.ConnectAsync(listen);
        var clientReceiving = TestNet.ReceivePatternAsync(client, cts.Token);
        await TestNet.SendPatternAsync(client, LargeTransfer, cts.Token);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(LargeTransfer, await clientReceiving);
        Assert.Equal(LargeTransfer, await received.Task.WaitAsync(cts.Token));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(new TrafficCounters(LargeTransfer, LargeTransfer, LargeTransfer, LargeTransfer, 0, 0, 0, 0), closed.Counters);
        Assert.Contains(closed.Reason, new[] { EndReason.LocalClientClosed, EndReason.RemotePeerClosed });
        if (kernelSplice && options.TcpTransport == TcpTransportKind.Epoll)
        {
            // Other tests' streams may add to the count, but these two directions must have.
            Assert.True(SplicePipe.Opened >= splicedBefore + 2);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Client_half_close_still_receives_the_whole_reply()
    {
        const int replySize = 3 * 1024 * 1024;
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            var request = await TestNet.ReceiveToEndAsync(socket, ct);
            Assert.Equal("request", Encoding.ASCII.GetString(request));
            await TestNet.SendPatternAsync(socket, replySize, ct);
            socket.Shutdown(SocketShutdown.Send);
        });
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes("request"), cts.Token);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(replySize, await TestNet.ReceivePatternAsync(client, cts.Token));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.LocalClientClosed, closed.Reason);
        Assert.Equal(replySize, closed.Counters.BytesToClient);
        Assert.Equal(7, closed.Counters.BytesToTarget);
    }

    [Fact(Timeout = 30_000)]
    public async Task Target_half_close_still_receives_the_whole_upload()
    {
        const int uploadSize = 3 * 1024 * 1024;
        var uploaded = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            await TestNet.SendAllAsync(socket, Encoding.ASCII.GetBytes("hello"), ct);
            socket.Shutdown(SocketShutdown.Send);
            uploaded.SetResult(await TestNet.ReceivePatternAsync(socket, ct));
        });
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));

        using var client = await TestNet.ConnectAsync(listen);
        Assert.Equal("hello", Encoding.ASCII.GetString(await TestNet.ReceiveToEndAsync(client, cts.Token)));
        await TestNet.SendPatternAsync(client, uploadSize, cts.Token);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(uploadSize, await uploaded.Task.WaitAsync(cts.Token));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.RemotePeerClosed, closed.Reason);
        Assert.Equal(uploadSize, closed.Counters.BytesFromClient);
        Assert.Equal(5, closed.Counters.BytesFromTarget);
    }

    [Fact(Timeout = 20_000)]
    public async Task Raises_opened_with_endpoints_and_closed_with_counts()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));

        using (var client = await TestNet.ConnectAsync(listen))
        {
            await TestNet.SendAllAsync(client, new byte[1000], default);
            Assert.Equal(1000, (await TestNet.ReceiveExactlyAsync(client, 1000, default)).Length);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("eof", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(10)));
        }

        var opened = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(listen, opened.Local);
        Assert.Equal(target.EndPoint, opened.Target);
        Assert.Equal(target.Remotes.Single(), opened.Outgoing);
        Assert.Equal(1000, closed.Counters.BytesFromClient);
        Assert.Equal(1000, closed.Counters.BytesToClient);
        Assert.Equal(EndReason.LocalClientClosed, closed.Reason);
        Assert.DoesNotContain(bouncer.Events.Events, e => e.Phase == SessionPhase.IoOperation);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_state_dump_shows_the_outgoing_address_of_a_session_whose_events_are_not_written()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)), events: new RecordingSink { WantsEvents = false });

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, new byte[10], default);
        Assert.Equal(10, (await TestNet.ReceiveExactlyAsync(client, 10, default)).Length);

        var live = Assert.Single(bouncer.Engine.CaptureState().Sessions);
        Assert.Equal(target.Remotes.Single(), live.Outgoing);
        Assert.Equal(target.EndPoint, live.Target);
        Assert.Empty(bouncer.Events.Events);
    }

    [Fact(Timeout = 20_000)]
    public async Task Forwards_over_IPv6_loopback()
    {
        await using var target = TestServer.Echo(IPAddress.IPv6Loopback);
        var listen = TestNet.FreeEndPoint(IPAddress.IPv6Loopback);
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes("over v6"), default);
        Assert.Equal("over v6", Encoding.ASCII.GetString(await TestNet.ReceiveExactlyAsync(client, 7, default)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_client_reset_resets_the_target()
    {
        var targetEnd = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, _) =>
            targetEnd.SetResult(await TestNet.WaitForEndAsync(socket, TimeSpan.FromSeconds(10))));
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));

        var client = await TestNet.ConnectAsync(listen);
        await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);
        TestNet.Reset(client);

        Assert.Equal("reset", await targetEnd.Task);
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.LocalClientError, closed.Reason);
        Assert.Equal("Connection reset by peer", closed.ErrorDetail);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(0, true)]
    [InlineData(4 * 1024 * 1024, true)]
    [InlineData(4 * 1024 * 1024, false)]
    public async Task A_target_reset_resets_the_client(int sentBeforeReset, bool kernelSplice)
    {
        // 4 MiB is a bulk download, spliced through the kernel or copied, cut short by the reset.
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) =>
        {
            await TestNet.ReceiveExactlyAsync(socket, 1, ct);
            await TestNet.SendPatternAsync(socket, sentBeforeReset, ct);
            TestNet.Reset(socket);
        });
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)), options: new EngineOptions { KernelSplice = kernelSplice });

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, new byte[1], default);

        Assert.Equal("reset", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(10)));
        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.RemotePeerError, closed.Reason);
        Assert.Equal("Connection reset by peer", closed.ErrorDetail);
    }

    [Fact(Timeout = 20_000)]
    public async Task Raises_io_events_with_payload_when_the_rule_logs_data()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Log = LogEvents.Data };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes("ping"), default);
        await TestNet.ReceiveExactlyAsync(client, 4, default);

        var up = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget);
        var down = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.TargetToClient);
        Assert.Equal("ping", Encoding.ASCII.GetString(up.Payload.Span));
        Assert.Equal(4, down.IoBytes);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_bulk_stream_of_a_rule_that_logs_io_operations_passes_through_the_process()
    {
        // Spliced bytes would never be seen: a rule whose log shows every operation is copied.
        const int size = 2 * 1024 * 1024;
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(TestNet.NextAddress(), async (socket, ct) => received.SetResult(await TestNet.ReceivePatternAsync(socket, ct)));
        var listen = TestNet.FreeEndPoint();
        var rule = Pass(1, listen, target.EndPoint) with { Log = LogEvents.IoOperation };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule));

        using (var client = await TestNet.ConnectAsync(listen))
        {
            await TestNet.SendPatternAsync(client, size, default);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(size, await received.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        }

        await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(size, bouncer.Events.Events.Where(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget).Sum(e => (long)e.IoBytes));
    }

    [Fact(Timeout = 20_000)]
    public async Task Leaves_from_redirect_address_and_client_port_with_sameport()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var source = TestNet.NextAddress();
        var rule = Pass(1, listen, target.EndPoint) with { RedirectFrom = source };
        await using var bouncer = await EngineHarness.StartAsync(Table(Settings.Defaults with { SamePort = true }, rule));

        var clientSource = TestNet.FreeEndPoint();
        using var client = await TestNet.ConnectAsync(listen, clientSource);
        await TestNet.SendAllAsync(client, new byte[1], default);
        await TestNet.ReceiveExactlyAsync(client, 1, default);

        Assert.Equal(new IPEndPoint(source, clientSource.Port), target.Remotes.Single());
    }

    [Fact(Timeout = 20_000)]
    public async Task Resolves_a_hostname_target_through_the_resolver()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var resolver = new FakeResolver();
        resolver.Hosts["backend.internal.example"] = [target.EndPoint.Address];
        var rule = Pass(1, listen, target.EndPoint) with { Target = new BounceTarget(null, "backend.internal.example", target.EndPoint.Port) };
        await using var bouncer = await EngineHarness.StartAsync(Table(rule), resolver);

        for (var i = 0; i < 3; i++)
        {
            using var client = await TestNet.ConnectAsync(listen);
            await TestNet.SendAllAsync(client, new byte[1], default);
            Assert.Single(await TestNet.ReceiveExactlyAsync(client, 1, default));
        }

        Assert.Equal(3, target.Accepted);
        Assert.Equal(1, resolver.ForwardLookups);
    }

    [Fact(Timeout = 20_000)]
    public async Task Stop_resets_both_sides_of_sessions_left_after_the_drain_deadline()
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(TestNet.NextAddress(), 0));
        target.Listen();
        var listen = TestNet.FreeEndPoint();
        var clock = new FakeClock();
        var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, (IPEndPoint)target.LocalEndPoint!)), options: new EngineOptions { Time = clock });
        await using (bouncer)
        {
            using var client = await TestNet.ConnectAsync(listen);
            using var accepted = await target.AcceptAsync();
            await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);

            // The drain waits on the engine's clock; stepping it runs the deadline out at once.
            await clock.AdvanceUntilAsync(bouncer.Engine.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None), TimeSpan.FromSeconds(10));

            var closed = await bouncer.Events.WaitForClosedAsync(1);
            Assert.Equal(EndReason.AdministrativeTermination, closed.Reason);
            Assert.Equal("reset", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(5)));
            Assert.Equal("reset", await TestNet.WaitForEndAsync(accepted, TimeSpan.FromSeconds(5)));
            Assert.Equal(0, bouncer.Engine.ActiveSessions);
            Assert.Contains("info: drain deadline passed: resetting 1 session(s)", bouncer.Log.Lines);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task A_stop_cut_short_resets_the_sessions_and_does_not_claim_the_deadline_passed()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));
        await using (bouncer)
        {
            using var client = await TestNet.ConnectAsync(listen);
            await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened);
            using var hurry = new CancellationTokenSource();

            var stop = bouncer.Engine.StopAsync(TimeSpan.FromMinutes(5), hurry.Token);
            await hurry.CancelAsync();
            await stop.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal("reset", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(5)));
            Assert.Contains("info: drain cut short: resetting 1 session(s)", bouncer.Log.Lines);
            Assert.DoesNotContain(bouncer.Log.Lines, l => l.Contains("deadline", StringComparison.Ordinal));
        }
    }
}
