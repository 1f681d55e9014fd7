using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>Builds rule tables from the model records directly, as the compiler would produce them.</summary>
internal sealed class UdpRuleBuilder
{
    private readonly List<Rule> _rules = [];

    public Settings Settings { get; set; } = Settings.Defaults;

    public UdpRuleBuilder Pass(
        IPEndPoint listen,
        IPEndPoint target,
        AddressPattern? from = null,
        TimeSpan? idleTimeout = null,
        SessionLimits? limits = null,
        LogEvents log = LogEvents.None,
        IPAddress? redirectFrom = null,
        long? bandwidth = null)
    {
        Add(Verdict.Pass, listen, new BounceTarget(target.Address, null, target.Port), from, idleTimeout, limits, log, redirectFrom, bandwidth);
        return this;
    }

    public UdpRuleBuilder Block(IPEndPoint listen, AddressPattern? from = null)
    {
        Add(Verdict.Block, listen, null, from, null, null, LogEvents.None, null, null);
        return this;
    }

    public RuleTable Build() => new("test.conf", Settings, [.. _rules]);

    /// <summary>The one UDP listener of a table built with a single <c>to:</c>.</summary>
    public Listener BuildListener() => Build().Listeners.Single(l => l.Protocol == TransportProtocol.Udp);

    public static AddressPattern Host(string address) => new NetworkPattern(IPAddress.Parse(address), IPAddress.Parse(address).GetAddressBytes().Length * 8);

    private void Add(
        Verdict verdict,
        IPEndPoint listen,
        BounceTarget? target,
        AddressPattern? from,
        TimeSpan? idleTimeout,
        SessionLimits? limits,
        LogEvents log,
        IPAddress? redirectFrom,
        long? bandwidth)
    {
        var number = _rules.Count + 1;
        var endpoint = new ListenEndpoint(listen.Address, listen.Port);
        _rules.Add(new Rule(
            number,
            verdict,
            Protocols.Udp,
            new ClientSelector(from ?? AnyAddressPattern.Instance, PortMatch.Any),
            new ListenSelector(endpoint.ToString(), [endpoint]),
            target,
            log,
            Settings.Timeouts with { IoUdp = idleTimeout ?? Settings.Timeouts.IoUdp },
            limits ?? SessionLimits.None,
            bandwidth,
            redirectFrom,
            ImmutableArray<SocketOption>.Empty,
            new SourcePosition("test.conf", number, 1)));
    }
}
