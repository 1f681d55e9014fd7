using Bouncer.Engine.Events;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The global cap on live UDP flows (<see cref="EngineOptions.MaxUdpFlows"/>), shared by every UDP
/// listener of an engine. Spoofed source addresses cost a flow each, so without a cap a flood could
/// exhaust file descriptors; at the cap new clients are dropped and existing flows keep working.
/// </summary>
internal sealed class UdpFlowBudget
{
    private static readonly TimeSpan NoticeInterval = TimeSpan.FromSeconds(10);

    private readonly int _max;
    private readonly IEngineLog _log;
    private readonly NoticeThrottle _notices = new(1, NoticeInterval);
    private int _count;

    public UdpFlowBudget(int max, IEngineLog log)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        _max = max;
        _log = log;
    }

    public int Count => Volatile.Read(ref _count);

    public int Max => _max;

    /// <summary>Takes one flow slot; false (and a rate-limited notice) when the cap is reached.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= _max)
            {
                NoteFull();
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _count);

    private void NoteFull()
    {
        if (!_notices.TryPass())
        {
            return;
        }

        var dropped = _notices.TakeSuppressed();
        var since = dropped == 0 ? string.Empty : $" ({dropped} more dropped since the last notice)";
        _log.Warning($"udp: limit of {_max} live flows reached, datagrams from new clients are dropped{since}");
    }
}
