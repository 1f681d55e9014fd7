using System.Net;
using Bouncer.Engine.Udp;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>A started <see cref="UdpRelay"/> for one listener, with its events recorded.</summary>
internal sealed class UdpRelayHarness : IAsyncDisposable
{
    private UdpRelayHarness(UdpRelay relay, RecordingEvents events)
    {
        Relay = relay;
        Events = events;
    }

    public UdpRelay Relay { get; }

    public RecordingEvents Events { get; }

    /// <summary>Where clients send: the listener's address (or <paramref name="reachedAt"/> for a wildcard) and bound port.</summary>
    public IPEndPoint ListenAt(IPAddress? reachedAt = null) => new(reachedAt ?? Relay.LocalEndPoint.Address, Relay.LocalEndPoint.Port);

    public static UdpRelayHarness Start(RuleTable table, EngineOptions? options = null)
    {
        var events = new RecordingEvents();
        var context = new UdpRelayContext(options ?? new EngineOptions(), events, events, new InterimUdpPolicy())
        {
            SweepInterval = TimeSpan.FromMilliseconds(200),
        };
        var listener = table.Listeners.Single(l => l.Protocol == TransportProtocol.Udp);
        var relay = new UdpRelay(listener, table.Settings, context);
        relay.Start();
        return new UdpRelayHarness(relay, events);
    }

    public async ValueTask DisposeAsync() => await Relay.StopAsync();
}
