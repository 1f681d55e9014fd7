using System.Net;
using Bouncer.Engine.Udp;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>
/// Test harness policy: first match on network patterns and ports, the rule's literal target, the
/// rule's <c>redirect from:</c>, no limits. Stands in for the engine's shared session services.
/// </summary>
internal sealed class InterimUdpPolicy : IUdpSessionPolicy
{
    public ValueTask<Rule> MatchAsync(Listener listener, IPEndPoint client, IPEndPoint local, CancellationToken cancellationToken)
    {
        foreach (var rule in listener.Rules)
        {
            var addressMatches = rule.From.Address switch
            {
                AnyAddressPattern => true,
                NetworkPattern network => network.Contains(client.Address),
                _ => false,
            };
            if (rule.Protocols.Includes(TransportProtocol.Udp) && addressMatches && rule.From.Port.Matches(client.Port) && rule.To.Matches(local))
            {
                return ValueTask.FromResult(rule);
            }
        }

        return ValueTask.FromResult(Rule.ImplicitBlock);
    }

    public IDisposable? TryAdmit(Rule rule, IPAddress client) => new NoLease();

    public ValueTask<IPEndPoint?> ResolveTargetAsync(Rule rule, IPEndPoint local, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IPEndPoint?>(new IPEndPoint(rule.Target!.Address!, rule.Target.Port));

    public IPAddress? ChooseSource(Rule rule, Settings settings, IPEndPoint local, IPEndPoint target) => rule.RedirectFrom;

    public IBandwidthGate? GetBandwidth(Rule rule) => null;

    private sealed class NoLease : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
