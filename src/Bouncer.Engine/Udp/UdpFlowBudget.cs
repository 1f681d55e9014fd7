using Bouncer.Engine.Diagnostics;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The global cap on live UDP flows (<see cref="EngineOptions.MaxUdpFlows"/>), shared by every UDP
/// listener of an engine. Spoofed source addresses cost a flow (and a socket) each, so without a cap
/// a flood could exhaust file descriptors; at the cap datagrams from new clients are dropped, with a
/// rate-limited warning, and existing flows keep working.
/// </summary>
internal sealed class UdpFlowBudget
{
    private readonly int _max;
    private readonly RateLimitedLog _warnings;
    private int _count;

    public UdpFlowBudget(int max, RateLimitedLog warnings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        _max = max;
        _warnings = warnings;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes one flow slot; false (and a rate-limited warning) when the cap is reached.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= _max)
            {
                _warnings.Warning("udp:flow-cap", $"udp: limit of {_max} live flows reached, datagrams from new clients are dropped");
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _count);
}
