using System.Net.Sockets;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tcp;

/// <summary>Runs an accept loop on every TCP listener the <see cref="ListenerSet"/> binds.</summary>
internal sealed class TcpListenerServiceFactory : IListenerServiceFactory
{
    private readonly EngineServices _services;
    private readonly TcpConnector _connector;

    public TcpListenerServiceFactory(EngineServices services)
    {
        _services = services;
        _connector = new TcpConnector(services.Warnings, services.Descriptors, services.Options.KeepAlive, services.Time, services.Transport);
    }

    public TransportProtocol Protocol => TransportProtocol.Tcp;

    public void PrepareListener(Socket unbound) => AcceptedSocketDefaults.Apply(unbound, _services.Options.KeepAlive);

    public IListenerService Create(ListenerKey key, Socket boundSocket) => new TcpAcceptLoop(key, boundSocket, _services, _connector);
}
