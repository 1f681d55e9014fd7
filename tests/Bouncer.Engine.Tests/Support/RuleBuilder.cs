using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Builds rule tables from the model records directly, as the compiler would.</summary>
internal static class RuleBuilder
{
    public const string File = "test.conf";

    public static Rule Pass(int number, IPEndPoint listen, IPEndPoint target) => new(
        number,
        Verdict.Pass,
        Protocols.Tcp,
        new ClientSelector(AnyAddressPattern.Instance, PortMatch.Any),
        To(listen),
        new BounceTarget(target.Address, null, target.Port),
        LogEvents.None,
        Timeouts.Defaults,
        SessionLimits.None,
        null,
        null,
        ImmutableArray<SocketOption>.Empty,
        new SourcePosition(File, number * 10, 1));

    public static Rule Block(int number, IPEndPoint listen) => Pass(number, listen, listen) with { Verdict = Verdict.Block, Target = null };

    public static ListenSelector To(IPEndPoint listen) =>
        new(listen.Address.ToString(), [new ListenEndpoint(listen.Address, listen.Port)]);

    public static ClientSelector From(string network, PortMatch? port = null)
    {
        var parts = network.Split('/');
        return new ClientSelector(new NetworkPattern(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)), port ?? PortMatch.Any);
    }

    public static Rule WithTimeouts(this Rule rule, TimeSpan? connect = null, TimeSpan? idle = null, TimeSpan? finWait = null) =>
        rule with
        {
            Timeouts = rule.Timeouts with
            {
                Connect = connect ?? rule.Timeouts.Connect,
                IoTcp = idle ?? rule.Timeouts.IoTcp,
                TcpFinWait = finWait ?? rule.Timeouts.TcpFinWait,
            },
        };

    public static RuleTable Table(params Rule[] rules) => new(File, Settings.Defaults, [.. rules]);

    public static RuleTable Table(Settings settings, params Rule[] rules) => new(File, settings, [.. rules]);
}
