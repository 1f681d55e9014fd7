using System.Globalization;
using System.Net;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Tests.Udp;
using Bouncer.Rules;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Bouncer.Tests.Shared;

namespace Bouncer.Engine.Tests;

/// <summary>
/// What the check accepts, the engine honours: every numeric option at the smallest and the
/// largest value the compile step accepts, compiled from rule text, forwards a TCP session and a
/// UDP exchange on loopback with the bytes intact and without a refused-option warning.
/// </summary>
[Trait("Suite", "Reliability")]
public sealed class NumericBoundsForwardingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static TheoryData<string, string> Extremes()
    {
        var data = new TheoryData<string, string>();
        foreach (var keyword in NumericKeywords.All)
        {
            foreach (var value in new[] { keyword.Min, keyword.Max }.Distinct())
            {
                data.Add(keyword.ToString(), value.ToString(CultureInfo.InvariantCulture));
            }
        }

        return data;
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Extremes))]
    public async Task A_tcp_session_forwards_at_every_accepted_extreme(string name, string value)
    {
        var (keyword, number) = Find(name, value);
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Compile(keyword, number, listen, target.EndPoint));
        using var cancel = new CancellationTokenSource(Bound);

        var payload = Payload(keyword, number);
        using var client = await TestNet.ConnectAsync(listen, cancellationToken: cancel.Token);
        await TestNet.SendAllAsync(client, payload, cancel.Token);
        Assert.Equal(payload, await TestNet.ReceiveExactlyAsync(client, payload.Length, cancel.Token));
        Assert.DoesNotContain(bouncer.Log.Warnings, w => w.Contains("refused", StringComparison.Ordinal));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Extremes))]
    public async Task A_udp_exchange_forwards_at_every_accepted_extreme(string name, string value)
    {
        var (keyword, number) = Find(name, value);
        await using var target = new UdpEchoTarget(TestNet.NextAddress());
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Compile(keyword, number, listen, target.EndPoint));

        var payload = Payload(keyword, number);
        using var client = new UdpTestClient(TestNet.NextAddress());
        await client.EchoAsync(payload, listen);
        Assert.DoesNotContain(bouncer.Log.Warnings, w => w.Contains("refused", StringComparison.Ordinal));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(SocketSide.Internal, "internal.tcp.tcp_keepidle")]
    [InlineData(SocketSide.External, "external.tcp.tcp_keepidle")]
    public async Task A_value_the_kernel_refuses_is_a_warning_and_the_session_still_forwards(SocketSide side, string keyword)
    {
        // One past Linux's MAX_TCP_KEEPIDLE: the check no longer accepts it, so the rule is built
        // directly, as a file checked against an older kernel limit would arrive.
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var rule = RuleBuilder.Pass(1, listen, target.EndPoint) with
        {
            SocketOptions = [new SocketOption(side, SocketOptionKind.KeepAliveIdle, 32768, keyword)],
        };
        await using var bouncer = await EngineHarness.StartAsync(RuleBuilder.Table(rule));
        using var cancel = new CancellationTokenSource(Bound);

        using var client = await TestNet.ConnectAsync(listen, cancellationToken: cancel.Token);
        await TestNet.SendAllAsync(client, new byte[10], cancel.Token);
        Assert.Equal(10, (await TestNet.ReceiveExactlyAsync(client, 10, cancel.Token)).Length);
        Assert.Contains(bouncer.Log.Warnings, w => w.Contains($"the system refused socket option {keyword}", StringComparison.Ordinal));
    }

    private static (NumericKeyword Keyword, long Value) Find(string name, string value) =>
        (NumericKeywords.All.Single(k => k.ToString() == name), long.Parse(value, CultureInfo.InvariantCulture));

    /// <summary>
    /// A kilobyte, or one byte under a tiny <c>bandwidth:</c>: the first byte goes at once (the
    /// limiter's burst allowance) and the echo waits about a second, not minutes.
    /// </summary>
    private static byte[] Payload(NumericKeyword keyword, long value)
    {
        var length = keyword.Keyword == "bandwidth" && value < 10_000 ? 1 : 1000;
        return [.. Enumerable.Range(0, length).Select(i => TestNet.PatternAt(i))];
    }

    /// <summary>The rule as an operator writes it, through the same compile step as <c>bouncer -V</c>.</summary>
    private static RuleTable Compile(NumericKeyword keyword, long value, IPEndPoint listen, IPEndPoint target)
    {
        var text = $"client pass {{\n    from: 0/0 to: {listen.Address} port = {listen.Port} bounce to: {target.Address} port = {target.Port}\n"
            + $"    {keyword.Keyword}: {keyword.Format(value)}\n"
            + (keyword.NeedsStateKey ? "    session.state.key: from\n" : string.Empty)
            + "}\n";
        var result = RuleFile.Parse(text, "bounds.conf", LiteralAddressesOnly.Instance);
        Assert.True(result.Table is not null, string.Join("\n", result.Diagnostics));
        return result.Table;
    }

    /// <summary>The rules name only addresses: no interface or name lookups.</summary>
    private sealed class LiteralAddressesOnly : INetworkEnvironment
    {
        public static LiteralAddressesOnly Instance { get; } = new();

        public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => null;

        public IReadOnlyList<IPAddress> ResolveHost(string hostname) => [];
    }
}
