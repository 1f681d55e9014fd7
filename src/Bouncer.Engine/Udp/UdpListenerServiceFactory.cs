using System.Net.Sockets;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Sessions;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>Runs a <see cref="UdpRelay"/> on every UDP listener the <see cref="ListenerSet"/> binds; all relays share one flow cap.</summary>
internal sealed class UdpListenerServiceFactory : IListenerServiceFactory
{
    private readonly EngineServices _services;
    private readonly UdpFlowBudget _budget;

    public UdpListenerServiceFactory(EngineServices services)
    {
        _services = services;
        _budget = new UdpFlowBudget(services.Options.MaxUdpFlows, services.Warnings);
    }

    public TransportProtocol Protocol => TransportProtocol.Udp;

    /// <summary>Live flows of all UDP listeners.</summary>
    public int FlowCount => _budget.Count;

    public void PrepareListener(Socket unbound)
    {
        // A UDP listener needs nothing beyond what ListenerSocketFactory sets.
    }

    public IListenerService Create(ListenerKey key, Socket boundSocket) => new UdpRelay(key, boundSocket, _services, _budget);
}
