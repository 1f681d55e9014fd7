using Bouncer.Rules.Model;

namespace Bouncer.Engine.Limits;

/// <summary>
/// <c>session.throttle: N/S</c> as a token bucket: N tokens, refilled continuously at N per S
/// seconds, one taken per new session. Two fields per bucket, so one per client address is cheap.
/// Not thread-safe: the owning <see cref="RuleLimiter"/> holds its lock.
/// </summary>
internal sealed class ThrottleBucket
{
    private readonly double _capacity;
    private readonly double _tokensPerMillisecond;
    private double _tokens;
    private long _updatedAt;

    public ThrottleBucket(Throttle throttle, long now)
    {
        _capacity = throttle.Count;
        _tokensPerMillisecond = throttle.Count / Math.Max(1.0, throttle.Period.TotalMilliseconds);
        _tokens = _capacity;
        _updatedAt = now;
    }

    /// <summary>Whether the bucket is full at <paramref name="now"/>, i.e. it remembers nothing and can be dropped.</summary>
    public bool IsFull(long now)
    {
        Refill(now);
        return _tokens >= _capacity;
    }

    /// <summary>Whether a session may start at <paramref name="now"/>; <see cref="Take"/> then spends the token.</summary>
    public bool HasToken(long now)
    {
        Refill(now);
        return _tokens >= 1;
    }

    public void Take() => _tokens -= 1;

    private void Refill(long now)
    {
        var elapsed = now - _updatedAt;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_capacity, _tokens + (elapsed * _tokensPerMillisecond));
            _updatedAt = now;
        }
    }
}
