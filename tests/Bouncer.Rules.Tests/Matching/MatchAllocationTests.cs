using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using static Bouncer.Rules.Tests.Matching.MatchRuleBuilder;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>Matching a table of IP patterns, the engine's common case, allocates nothing.</summary>
public sealed class MatchAllocationTests
{
    private const int Calls = 10_000;

    private static readonly RuleTable PureIp = Table(
        Block(1).FromAddress("198.51.100.7/32"),
        Pass(2).FromAddress("198.51.100.0/24").FromPortMatching(new PortMatch(PortOperator.Range, 1024, 65535)),
        Pass(3).FromAddress("2001:db8::/32").ToEndpoint("::", 80),
        Pass(4).FromAddress("0/0").OnlyFor(Protocols.Udp),
        Block(5).FromAddress("0.0.0.0/0").ToEndpoint("0.0.0.0", 80));

    [Fact]
    public void WholeTableMatchingOfIpPatternsAllocatesNothing()
    {
        var matcher = new RuleMatcher(new MatchFakeNameResolver());
        var cases = Cases();

        var bytes = AllocatedWhile(() =>
        {
            var numbers = 0;
            foreach (var (client, local, _) in cases)
            {
                numbers += MatchedNumber(matcher.MatchAsync(PureIp, TransportProtocol.Tcp, client, local));
            }

            return numbers;
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ListenerMatchingOfIpPatternsAllocatesNothing()
    {
        var matcher = new RuleMatcher(new MatchFakeNameResolver());
        var cases = Cases();

        var bytes = AllocatedWhile(() =>
        {
            var numbers = 0;
            foreach (var (client, local, listener) in cases)
            {
                numbers += MatchedNumber(matcher.MatchAsync(listener.Rules, listener.Protocol, client, local));
            }

            return numbers;
        });

        Assert.Equal(0, bytes);
    }

    /// <summary>Clients that end at each rule and at the implicit block, with the listener that would accept them.</summary>
    private static (System.Net.IPEndPoint Client, System.Net.IPEndPoint Local, Listener Listener)[] Cases()
    {
        var specific = PureIp.ListenersByKey[new ListenerKey(TransportProtocol.Tcp, new ListenEndpoint(System.Net.IPAddress.Parse(MatchHarness.Local), 80))];
        var any4 = PureIp.ListenersByKey[new ListenerKey(TransportProtocol.Tcp, new ListenEndpoint(System.Net.IPAddress.Any, 80))];
        var any6 = PureIp.ListenersByKey[new ListenerKey(TransportProtocol.Tcp, new ListenEndpoint(System.Net.IPAddress.IPv6Any, 80))];
        (System.Net.IPEndPoint, System.Net.IPEndPoint, Listener)[] cases =
        [
            (Endpoint("198.51.100.7", 40000), Endpoint(MatchHarness.Local, 80), specific),
            (Endpoint("198.51.100.8", 40000), Endpoint(MatchHarness.Local, 80), specific),
            (Endpoint("198.51.100.8", 1000), Endpoint("192.0.2.11", 80), any4),
            (Endpoint("2001:db8::7", 40000), Endpoint(MatchHarness.Local6, 80), any6),
            (Endpoint("2001:db9::7", 40000), Endpoint(MatchHarness.Local6, 80), any6),
            (Endpoint("203.0.113.9", 40000), Endpoint("192.0.2.11", 80), any4),
        ];

        // The same clients must reach rules 1, 2, 3, 5 and the implicit block, or the measurement proves little.
        var matcher = new RuleMatcher(new MatchFakeNameResolver());
        var reached = cases.Select(c => MatchedNumber(matcher.MatchAsync(PureIp, TransportProtocol.Tcp, c.Item1, c.Item2))).ToArray();
        Assert.Equal([1, 2, 5, 3, 0, 5], reached);
        return cases;
    }

    private static int MatchedNumber(ValueTask<Rule> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully);
        return pending.Result.Number;
    }

    private static long AllocatedWhile(Func<int> matchAll)
    {
        // Warm up so JIT tiers and static initializers are not counted. Tiering promotes methods
        // after a delay measured in time (call counting starts ~100 ms after the last tier-0 JIT),
        // so the warm-up is bounded by time as well as by count.
        var checksum = 0;
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200_000 && warmUp.ElapsedMilliseconds < 500; i++)
        {
            checksum += matchAll();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            checksum += matchAll();
        }

        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(checksum > 0);
        return after - before;
    }
}
