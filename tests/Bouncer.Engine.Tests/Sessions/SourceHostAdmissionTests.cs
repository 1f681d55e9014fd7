using System.Net;
using System.Text;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Tests.Udp;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests.Sessions;

/// <summary>
/// TCP sessions and UDP flows both run the <c>srchost</c> checks through the engine's one
/// <see cref="Bouncer.Rules.Matching.SourceHostCheck"/>: a refusal is a block with the reason, and a
/// reverse name with a trailing dot and capitals still resolves back.
/// </summary>
public sealed class SourceHostAdmissionTests
{
    private const SourceHostChecks Both = SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch;
    private static readonly Settings Checked = Settings.Defaults with { SourceHostChecks = Both };

    [Fact(Timeout = 20_000)]
    public async Task Tcp_client_without_a_reverse_name_is_blocked_with_the_reason()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Checked, Pass(1, listen, target.EndPoint)), new FakeResolver());

        Assert.Equal("reset", await TestNet.ConnectAndWaitForEndAsync(listen, new IPEndPoint(TestNet.NextAddress(), 0), TimeSpan.FromSeconds(10)));

        var closed = await bouncer.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.Blocked, closed.Reason);
        Assert.Equal("srchost nodnsunknown: client has no reverse name", closed.ErrorDetail);
    }

    [Fact(Timeout = 20_000)]
    public async Task Tcp_client_whose_reverse_name_has_a_trailing_dot_and_capitals_is_forwarded()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var client = TestNet.NextAddress();
        var resolver = new FakeResolver();
        resolver.ReverseNames[client] = "Client.Example.";
        resolver.Hosts["client.example"] = [client];
        await using var bouncer = await EngineHarness.StartAsync(Table(Checked, Pass(1, listen, target.EndPoint)), resolver);

        using var socket = await TestNet.ConnectAsync(listen, new IPEndPoint(client, 0));
        await TestNet.SendAllAsync(socket, Encoding.ASCII.GetBytes("ping"), default);

        Assert.Equal("ping", Encoding.ASCII.GetString(await TestNet.ReceiveExactlyAsync(socket, 4, default)));
    }

    [Fact(Timeout = 20_000)]
    public async Task Udp_client_whose_name_resolves_elsewhere_is_blocked_with_the_reason()
    {
        var clientAddress = IPAddress.Parse("127.0.0.5");
        var resolver = new FakeResolver();
        resolver.ReverseNames[clientAddress] = "www.bank.example";
        resolver.Hosts["www.bank.example"] = [IPAddress.Parse("203.0.113.1")];
        await using var target = new UdpEchoTarget(IPAddress.Parse("127.0.0.4"));
        await using var relay = UdpRelayHarness.Start(
            Table(Checked, UdpRules.Pass(1, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), target.EndPoint)),
            resolver: resolver);
        using var client = new UdpTestClient(clientAddress);

        await client.SendAsync("hello"u8.ToArray(), relay.ListenAt());

        var closed = await relay.Events.WaitForClosedAsync(1);
        Assert.Equal(EndReason.Blocked, closed.Reason);
        Assert.Equal("srchost nodnsmismatch: www.bank.example does not resolve to the client", closed.ErrorDetail);
    }

    [Fact(Timeout = 20_000)]
    public async Task Udp_client_whose_reverse_name_has_a_trailing_dot_and_capitals_is_forwarded()
    {
        var clientAddress = IPAddress.Parse("127.0.0.5");
        var resolver = new FakeResolver();
        resolver.ReverseNames[clientAddress] = "Client.Example.";
        resolver.Hosts["client.example"] = [clientAddress];
        await using var target = new UdpEchoTarget(IPAddress.Parse("127.0.0.4"));
        await using var relay = UdpRelayHarness.Start(
            Table(Checked, UdpRules.Pass(1, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), target.EndPoint)),
            resolver: resolver);
        using var client = new UdpTestClient(clientAddress);

        await client.EchoAsync("seen"u8.ToArray(), relay.ListenAt());

        await relay.Events.WaitForAsync(e => e.Phase == SessionPhase.Opened, TimeSpan.FromSeconds(15));
    }
}
