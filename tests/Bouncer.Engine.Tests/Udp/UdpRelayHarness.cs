using System.Collections.Immutable;
using System.Net;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.State;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Udp;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Udp;

/// <summary>
/// A started <see cref="UdpRelay"/> for the one UDP listener of a table, wired to the engine's own
/// matcher, limits, event publisher, session tracker and sweeper, with events and notices recorded.
/// </summary>
internal sealed class UdpRelayHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping;
    private readonly SessionTracker _tracker;
    private readonly Task _sweeper;

    private UdpRelayHarness(UdpRelay relay, RecordingSink events, RecordingLog log, CancellationTokenSource stopping, SessionTracker tracker, Task sweeper)
    {
        Relay = relay;
        Events = events;
        Log = log;
        _stopping = stopping;
        _tracker = tracker;
        _sweeper = sweeper;
    }

    public UdpRelay Relay { get; }

    public RecordingSink Events { get; }

    public RecordingLog Log { get; }

    /// <summary>Live sessions (flows) the tracker holds.</summary>
    public int Sessions => _tracker.Count;

    /// <summary>The open flows as the state dump shows them, with their counters.</summary>
    public IReadOnlyList<LiveSession> Live => _tracker.Describe();

    /// <summary>
    /// Waits until <paramref name="condition"/> holds of the open flows, rechecking every few
    /// milliseconds; throws after <paramref name="timeout"/>. For counts no event reports.
    /// </summary>
    public async Task WaitForLiveAsync(Func<IReadOnlyList<LiveSession>, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition(Live))
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("the open flows never reached the expected state");
            }
        }
    }

    /// <summary>Where clients send: the listener's address (or <paramref name="reachedAt"/> for a wildcard) and bound port.</summary>
    public IPEndPoint ListenAt(IPAddress? reachedAt = null) => new(reachedAt ?? Relay.LocalEndPoint.Address, Relay.LocalEndPoint.Port);

    public static UdpRelayHarness Start(RuleTable table, EngineOptions? options = null, INameResolver? resolver = null)
    {
        options ??= new EngineOptions();
        var events = new RecordingSink();
        var log = new RecordingLog();
        var stopping = new CancellationTokenSource();
        resolver ??= new FakeResolver();
        var limits = new LimitRegistry(options.Time);
        var tracker = new SessionTracker(log, options.Time);
        var snapshot = new ListenerSnapshot(table, ImmutableDictionary<ListenerKey, IListenerService>.Empty);
        var services = new EngineServices(
            options,
            () => snapshot,
            new RuleMatcher(resolver),
            resolver,
            limits,
            new SessionEventPublisher(events, log, options.Debug),
            tracker,
            new RateLimitedLog(log, TimeSpan.FromSeconds(10), options.Time),
            stopping.Token);
        var listener = table.Listeners.Single(l => l.Protocol == TransportProtocol.Udp);
        var relay = (UdpRelay)new UdpListenerServiceFactory(services).Create(listener.Key, ListenerSocketFactory.Bind(listener));
        relay.Start();
        var sweeper = new SessionSweeper(tracker, limits, TimeSpan.FromMilliseconds(100), options.Time).RunAsync(stopping.Token);
        return new UdpRelayHarness(relay, events, log, stopping, tracker, sweeper);
    }

    public async ValueTask DisposeAsync()
    {
        await Relay.StopAsync();
        await _stopping.CancelAsync();
        _tracker.TerminateAll(EndReason.AdministrativeTermination);
        await _tracker.WaitAllAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        await _sweeper;
        _stopping.Dispose();
    }
}
