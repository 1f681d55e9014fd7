using System.Collections.Concurrent;
using System.Net;
using Bouncer.Rules.Environment;

namespace Bouncer.Engine.Names;

/// <summary>
/// Short-lived cache in front of an <see cref="INameResolver"/>: hostname targets are resolved per
/// connection (so a moved service is followed) but a burst of connections costs one lookup.
/// Entries live <see cref="TimeToLive"/>; the cache is bounded by <see cref="MaxEntries"/>
/// (cleared when full, since reverse lookups of many clients could otherwise grow it without end).
/// </summary>
internal sealed class CachingNameResolver : INameResolver
{
    public const int MaxEntries = 4096;

    private readonly INameResolver _inner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry<IReadOnlyList<IPAddress>>> _forward = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<IPAddress, Entry<string?>> _reverse = new();

    public CachingNameResolver(INameResolver inner, TimeSpan timeToLive, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        TimeToLive = timeToLive;
    }

    public TimeSpan TimeToLive { get; }

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken) =>
        LookupAsync(_forward, hostname, _inner.ResolveAsync, cancellationToken);

    public ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken) =>
        LookupAsync(_reverse, address, _inner.ReverseLookupAsync, cancellationToken);

    private async ValueTask<TValue> LookupAsync<TKey, TValue>(
        ConcurrentDictionary<TKey, Entry<TValue>> cache,
        TKey key,
        Func<TKey, CancellationToken, ValueTask<TValue>> lookup,
        CancellationToken cancellationToken)
        where TKey : notnull
    {
        var now = _time.GetMilliseconds();
        if (cache.TryGetValue(key, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Value;
        }

        var value = await lookup(key, cancellationToken).ConfigureAwait(false);
        if (cache.Count >= MaxEntries)
        {
            cache.Clear();
        }

        cache[key] = new Entry<TValue>(value, now + (long)TimeToLive.TotalMilliseconds);
        return value;
    }

    private sealed record Entry<TValue>(TValue Value, long ExpiresAt);
}
