using System.Net;

namespace Bouncer.Engine.Limits;

/// <summary>
/// A session's place under its rule's concurrency limits. Disposing it frees the place; a second
/// dispose does nothing, so every exit path of a session may dispose it.
/// </summary>
internal sealed class SessionLease : IDisposable
{
    private readonly RuleLimiter? _limiter;
    private readonly IPAddress _client;
    private int _released;

    public SessionLease(RuleLimiter? limiter, IPAddress client)
    {
        _limiter = limiter;
        _client = client;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _limiter?.Release(_client);
        }
    }
}
