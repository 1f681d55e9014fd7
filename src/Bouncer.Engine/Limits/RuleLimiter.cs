using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Limits;

/// <summary>
/// The session limits of one rule (design §2.5): <c>session.max</c>, <c>session.throttle</c> and the
/// per-client-address <c>session.state.*</c> pair. Protocol-neutral: a TCP connection and a UDP
/// flow each take one lease. One lock per rule; the work under it is a few comparisons.
/// </summary>
internal sealed class RuleLimiter
{
    private readonly SessionLimits _limits;
    private readonly object _gate = new();
    private readonly ThrottleBucket? _throttle;
    private readonly Dictionary<IPAddress, ClientState> _clients = [];
    private int _active;

    public RuleLimiter(SessionLimits limits, long now)
    {
        _limits = limits;
        _throttle = limits.Throttle is null ? null : new ThrottleBucket(limits.Throttle, now);
    }

    /// <summary>Live sessions under this rule.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Client addresses tracked for the state limits (for tests and the state dump).</summary>
    public int TrackedClients
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    private bool HasStateLimits => _limits.StateMax is not null || _limits.StateThrottle is not null;

    /// <summary>Takes a place for a new session from <paramref name="client"/>, or says which limit refused it.</summary>
    public LimitRefusal TryAcquire(IPAddress client, long now)
    {
        lock (_gate)
        {
            if (_limits.Max is { } max && _active >= max)
            {
                return LimitRefusal.SessionMax;
            }

            ClientState? state = null;
            if (HasStateLimits)
            {
                if (!_clients.TryGetValue(client, out state))
                {
                    state = new ClientState(_limits.StateThrottle is null ? null : new ThrottleBucket(_limits.StateThrottle, now));
                    _clients.Add(client, state);
                }

                if (_limits.StateMax is { } stateMax && state.Active >= stateMax)
                {
                    return LimitRefusal.StateMax;
                }
            }

            // Throttles are consulted last, and tokens are taken only once every check has passed,
            // so a session refused for one reason costs no token of another limit.
            if (state?.Throttle is { } stateThrottle && !stateThrottle.HasToken(now))
            {
                return LimitRefusal.StateThrottle;
            }

            if (_throttle is not null && !_throttle.HasToken(now))
            {
                return LimitRefusal.SessionThrottle;
            }

            _throttle?.Take();
            state?.Throttle?.Take();
            _active++;
            if (state is not null)
            {
                state.Active++;
            }

            return LimitRefusal.None;
        }
    }

    public void Release(IPAddress client)
    {
        lock (_gate)
        {
            _active--;
            if (HasStateLimits && _clients.TryGetValue(client, out var state))
            {
                state.Active--;
                if (state.Active <= 0 && state.Throttle is null)
                {
                    _clients.Remove(client);
                }
            }
        }
    }

    /// <summary>Forgets client addresses with no live session whose throttle has fully refilled.</summary>
    public void Sweep(long now)
    {
        if (!HasStateLimits)
        {
            return;
        }

        lock (_gate)
        {
            List<IPAddress>? idle = null;
            foreach (var (address, state) in _clients)
            {
                if (state.Active <= 0 && (state.Throttle is null || state.Throttle.IsFull(now)))
                {
                    (idle ??= []).Add(address);
                }
            }

            foreach (var address in idle ?? [])
            {
                _clients.Remove(address);
            }
        }
    }

    private sealed class ClientState(ThrottleBucket? throttle)
    {
        public int Active { get; set; }

        public ThrottleBucket? Throttle { get; } = throttle;
    }
}
