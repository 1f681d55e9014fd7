using System.Net;

namespace Bouncer.Rules.Environment;

/// <summary>
/// The host as one check or reload sees it: the interface table is read once, on first use, and
/// each hostname is resolved once however often the file names it. Names announced through
/// <see cref="LookAhead"/> are resolved before the compile asks for them, several at a time, so a
/// file of many distinct names costs the slowest resolver answers, not the sum of all of them.
/// Not thread-safe towards its caller: one compile uses it, then drops it.
/// </summary>
internal sealed class SystemNetworkSnapshot(
    Func<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> readInterfaces,
    Func<string, IReadOnlyList<IPAddress>> resolve) : INetworkEnvironment
{
    /// <summary>
    /// Lookups in flight at once. The system resolver answers each from its files or over the
    /// network; a handful in parallel hides the network's round trips without flooding the resolver.
    /// </summary>
    internal const int ParallelLookups = 8;

    private readonly Dictionary<string, IReadOnlyList<IPAddress>> _hosts = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? _interfaces;

    private IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> Interfaces => _interfaces ??= readInterfaces();

    public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => Interfaces.GetValueOrDefault(name);

    public IReadOnlyList<IPAddress> ResolveHost(string hostname)
    {
        if (!_hosts.TryGetValue(hostname, out var addresses))
        {
            addresses = resolve(hostname);
            _hosts[hostname] = addresses;
        }

        return addresses;
    }

    /// <summary>Resolves every name that is neither an interface nor already known, in parallel.</summary>
    public void LookAhead(IEnumerable<string> names)
    {
        var interfaces = Interfaces;
        var pending = names
            .Where(n => !interfaces.ContainsKey(n) && !_hosts.ContainsKey(n))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (pending.Length < 2)
        {
            return;
        }

        var found = new IReadOnlyList<IPAddress>[pending.Length];
        var next = -1;
        void Work()
        {
            // Each index is taken once; the loop ends when every name has been taken.
            for (var i = Interlocked.Increment(ref next); i < pending.Length; i = Interlocked.Increment(ref next))
            {
                found[i] = resolve(pending[i]);
            }
        }

        var helpers = new Thread[Math.Min(ParallelLookups, pending.Length) - 1];
        for (var t = 0; t < helpers.Length; t++)
        {
            helpers[t] = new Thread(Work) { IsBackground = true, Name = "name lookup" };
            helpers[t].Start();
        }

        Work();
        foreach (var helper in helpers)
        {
            helper.Join();
        }

        for (var i = 0; i < pending.Length; i++)
        {
            _hosts[pending[i]] = found[i];
        }
    }

    public INetworkEnvironment Snapshot() => this;
}
