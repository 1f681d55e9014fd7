using System.Net;
using System.Text;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Tests.Udp;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests.Sessions;

/// <summary>The engine raises I/O events and copies payloads exactly as <see cref="SessionLogPolicy"/> says, for TCP and UDP.</summary>
public sealed class SessionLogPolicyTests
{
    [Theory]
    [InlineData(LogEvents.None, 0, false, false)]
    [InlineData(LogEvents.Connect | LogEvents.Disconnect, 0, false, false)]
    [InlineData(LogEvents.IoOperation, 0, true, false)]
    [InlineData(LogEvents.Data, 0, true, true)]
    [InlineData(LogEvents.None, 1, true, false)]
    [InlineData(LogEvents.IoOperation, 1, true, false)]
    [InlineData(LogEvents.None, 2, true, true)]
    [InlineData(LogEvents.IoOperation, 2, true, true)]
    public void Io_events_and_payloads_follow_the_rule_and_the_debug_level(LogEvents log, int debug, bool raised, bool payload)
    {
        Assert.Equal(raised, SessionLogPolicy.RaisesIo(log, debug));
        Assert.Equal(payload, SessionLogPolicy.WithPayload(log, debug));
    }

    [Theory(Timeout = 20_000)]
    [InlineData(0, 2)]
    [InlineData(2, 0)]
    public async Task Tcp_debug_two_carries_the_payload_from_the_command_line_or_the_file(int optionDebug, int fileDebug)
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var table = Table(Settings.Defaults with { Debug = fileDebug }, Pass(1, listen, target.EndPoint));
        await using var bouncer = await EngineHarness.StartAsync(table, options: new EngineOptions { Debug = optionDebug });

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes("ping"), default);
        await TestNet.ReceiveExactlyAsync(client, 4, default);

        var up = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget);
        var down = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.TargetToClient);
        Assert.Equal("ping", Encoding.ASCII.GetString(up.Payload.Span));
        Assert.Equal("ping", Encoding.ASCII.GetString(down.Payload.Span));
    }

    [Fact(Timeout = 20_000)]
    public async Task Tcp_debug_one_raises_io_events_without_a_payload()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)), options: new EngineOptions { Debug = 1 });

        using var client = await TestNet.ConnectAsync(listen);
        await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes("ping"), default);
        await TestNet.ReceiveExactlyAsync(client, 4, default);

        var up = await bouncer.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget);
        Assert.Equal(4, up.IoBytes);
        Assert.True(up.Payload.IsEmpty);
    }

    [Fact(Timeout = 20_000)]
    public async Task Udp_debug_two_carries_the_payload()
    {
        await using var target = new UdpEchoTarget(IPAddress.Parse("127.0.0.4"));
        await using var relay = UdpRelayHarness.Start(
            Table(UdpRules.Pass(1, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), target.EndPoint)),
            new EngineOptions { Debug = 2 });
        using var client = new UdpTestClient(IPAddress.Parse("127.0.0.5"));

        await client.EchoAsync("seen"u8.ToArray(), relay.ListenAt());

        var toTarget = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.ClientToTarget, TimeSpan.FromSeconds(15));
        var toClient = await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.IoOperation && e.Direction == IoDirection.TargetToClient, TimeSpan.FromSeconds(15));
        Assert.Equal("seen"u8.ToArray(), toTarget.Payload.ToArray());
        Assert.Equal("seen"u8.ToArray(), toClient.Payload.ToArray());
    }
}
