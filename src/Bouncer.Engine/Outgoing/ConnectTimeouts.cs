using System.Collections.Concurrent;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// The cancellation of outgoing connects: the engine's stop, and the rule's <c>timeout.connect</c>.
/// The timeout sources are reused from one connect to the next: a new linked source per connect
/// cost a source, a timer and two registrations (about 330 bytes of garbage per connection, which
/// an idle connection's share of the heap carries until the next collection) and a timer queued
/// and removed. A source whose connect ended well before its timer is reset, which stops the timer
/// without freeing it, and kept for the next connect.
/// </summary>
internal sealed class ConnectTimeouts
{
    /// <summary>Sources kept at most: about a burst of concurrent connects, a few hundred bytes each.</summary>
    private const int MaxKept = 64;

    /// <summary>
    /// A source whose timer was this close to firing is not reused: the timer may already be
    /// running its callback, which would then cancel the next connect instead.
    /// </summary>
    private const long ReuseMarginMs = 1000;

    private readonly ConcurrentQueue<CancellationTokenSource> _kept = new();
    private readonly TimeProvider _time;
    private int _keptCount;

    public ConnectTimeouts(TimeProvider time) => _time = time;

    /// <summary>Starts the clock of one connect; dispose the result once the connect has ended.</summary>
    /// <param name="timeout">The connect timeout; zero or less for none.</param>
    /// <param name="stopping">The engine's stop, which cancels every pending connect.</param>
    public Lease Start(TimeSpan timeout, CancellationToken stopping)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return new Lease(this, null, default, stopping, 0);
        }

        if (!_kept.TryDequeue(out var source))
        {
            // Bound to the engine's clock, so CancelAfter runs on its timers.
            source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        }
        else
        {
            Interlocked.Decrement(ref _keptCount);
        }

        var startedAt = _time.GetMilliseconds();
        source.CancelAfter(timeout);

        // Registered after the timer is set, so a stop that came first cancels this connect at once.
        var link = stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source);
        return new Lease(this, source, link, source.Token, startedAt + (long)timeout.TotalMilliseconds);
    }

    private void Return(CancellationTokenSource source, long deadline)
    {
        // TryReset fails once the source was cancelled (timeout or stop); a cancelled source cannot be reused.
        if (_time.GetMilliseconds() < deadline - ReuseMarginMs && source.TryReset())
        {
            if (Interlocked.Increment(ref _keptCount) <= MaxKept)
            {
                _kept.Enqueue(source);
                return;
            }

            Interlocked.Decrement(ref _keptCount);
        }

        source.Dispose();
    }

    /// <summary>One connect's cancellation: <see cref="Token"/> ends the connect on a stop or when its timeout passes.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ConnectTimeouts _owner;
        private readonly CancellationTokenSource? _source;
        private readonly CancellationTokenRegistration _link;
        private readonly long _deadline;

        internal Lease(ConnectTimeouts owner, CancellationTokenSource? source, CancellationTokenRegistration link, CancellationToken token, long deadline)
        {
            _owner = owner;
            _source = source;
            _link = link;
            _deadline = deadline;
            Token = token;
        }

        public CancellationToken Token { get; }

        public void Dispose()
        {
            if (_source is null)
            {
                return;
            }

            // Waits for a stop's callback that is running, so the source is not reset under it.
            _link.Dispose();
            _owner.Return(_source, _deadline);
        }
    }
}
