using System.Collections.Immutable;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Listening;

/// <summary>
/// The engine's listener sockets, keyed by <see cref="ListenerKey"/>, and the rule table they
/// serve. Applying a table (at start and on every reload) opens the listeners that are new
/// (closing them all again if one fails, so nothing changes), swaps table and listeners in one
/// <see cref="Volatile.Write{T}(ref T, T)"/>, then closes the listeners the new table no longer
/// has. Unchanged listeners keep their sockets, so no client is refused during a reload; live
/// sessions keep their rule. Protocol-neutral: each protocol brings an <see cref="IListenerServiceFactory"/>.
/// </summary>
internal sealed class ListenerSet : IAsyncDisposable
{
    private readonly ImmutableDictionary<TransportProtocol, IListenerServiceFactory> _factories;
    private readonly IEngineLog _log;
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private ListenerSnapshot _current = ListenerSnapshot.Empty;

    public ListenerSet(IEnumerable<IListenerServiceFactory> factories, IEngineLog log)
    {
        _factories = factories.ToImmutableDictionary(f => f.Protocol);
        _log = log;
    }

    public ListenerSnapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Makes <paramref name="table"/> the table in force. Throws <see cref="ListenerBindException"/>
    /// when a new listener cannot be bound; the table in force and its listeners are then unchanged.
    /// </summary>
    public async Task<ReloadSummary> ApplyAsync(RuleTable table, CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = Current;
            var wanted = Served(table);
            var opened = await OpenNewAsync(wanted, old).ConfigureAwait(false);

            var services = ImmutableDictionary.CreateBuilder<ListenerKey, IListenerService>();
            foreach (var listener in wanted)
            {
                if (old.Services.TryGetValue(listener.Key, out var existing))
                {
                    services.Add(listener.Key, existing);
                }
            }

            var kept = services.Count;
            foreach (var service in opened)
            {
                services.Add(service.Key, service);
            }

            var removed = old.Services.Where(pair => !services.ContainsKey(pair.Key)).Select(pair => pair.Value).ToList();
            Volatile.Write(ref _current, new ListenerSnapshot(table, services.ToImmutable()));

            foreach (var service in opened)
            {
                service.Start();
            }

            await StopAllAsync(removed).ConfigureAwait(false);
            return new ReloadSummary(opened.Count, kept, removed.Count);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Closes every listener; the table stays for sessions still running.</summary>
    public async Task CloseAllAsync()
    {
        await _applyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var old = Current;
            Volatile.Write(ref _current, old with { Services = ImmutableDictionary<ListenerKey, IListenerService>.Empty });
            await StopAllAsync(old.Services.Values).ConfigureAwait(false);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAllAsync().ConfigureAwait(false);
        _applyGate.Dispose();
    }

    private static async Task StopAllAsync(IEnumerable<IListenerService> services)
    {
        foreach (var service in services)
        {
            await service.StopAsync().ConfigureAwait(false);
        }
    }

    private List<Listener> Served(RuleTable table)
    {
        var served = new List<Listener>(table.Listeners.Length);
        var unserved = 0;
        foreach (var listener in table.Listeners)
        {
            if (_factories.ContainsKey(listener.Protocol))
            {
                served.Add(listener);
            }
            else
            {
                unserved++;
            }
        }

        if (unserved > 0)
        {
            _log.Info($"{unserved} listener(s) of a protocol this engine does not forward were not opened");
        }

        return served;
    }

    private async Task<List<IListenerService>> OpenNewAsync(List<Listener> wanted, ListenerSnapshot old)
    {
        var opened = new List<IListenerService>();
        try
        {
            foreach (var listener in wanted)
            {
                if (!old.Services.ContainsKey(listener.Key))
                {
                    var factory = _factories[listener.Protocol];
                    var socket = ListenerSocketFactory.Bind(listener, factory.PrepareListener);
                    try
                    {
                        opened.Add(factory.Create(listener.Key, socket));
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }
            }

            return opened;
        }
        catch
        {
            // Roll back: close what this attempt bound, leave the table in force untouched.
            await StopAllAsync(opened).ConfigureAwait(false);
            throw;
        }
    }
}
