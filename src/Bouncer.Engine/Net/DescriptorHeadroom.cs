using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Net;

/// <summary>
/// Keeps the last few descriptors of the process's limit (RLIMIT_NOFILE) free for the runtime. The
/// framework-dependent runtime needs descriptors to start a thread (a signal handler, a thread-pool
/// worker); with none free it aborts ("Out of memory.") or its thread pool stops growing, and the
/// flows that would have freed descriptors never time out, so the daemon hangs or dies.
/// Logging, reloads and name lookups need a descriptor too. So a socket the engine opens (accepted, outgoing TCP, a UDP flow's) whose
/// number falls within the reserve is closed again and counts as out of descriptors. The check is
/// exact without bookkeeping: Linux gives out the lowest free number, so a new descriptor at
/// number n means 0 to n-1 are all taken.
/// </summary>
internal sealed class DescriptorHeadroom
{
    private const int MaxReserve = 32;

    private readonly long _firstReserved;

    /// <param name="limit">The soft limit on open descriptors; <see cref="long.MaxValue"/> for none.</param>
    public DescriptorHeadroom(long limit)
    {
        Reserve = limit == long.MaxValue ? 0 : (int)Math.Min(MaxReserve, limit / 4);
        _firstReserved = limit == long.MaxValue ? long.MaxValue : limit - Reserve;
    }

    /// <summary>This process's soft limit, read once; no reserve where there is no such limit to read.</summary>
    public static DescriptorHeadroom ForThisProcess { get; } = new(DescriptorLimit.Current());

    /// <summary>How many descriptors are kept free.</summary>
    public int Reserve { get; }

    /// <summary>Whether a descriptor with this number is one of the reserved ones.</summary>
    public bool IsReserved(long descriptor) => descriptor >= _firstReserved;

    /// <summary>
    /// Closes <paramref name="socket"/> and throws what the system would have thrown without the
    /// reserve (EMFILE, as <see cref="SocketError.TooManyOpenSockets"/>) when its descriptor is one
    /// of the reserved ones, so callers handle both the same way.
    /// </summary>
    public void Check(Socket socket) => Check(socket.SafeHandle, socket);

    /// <summary>As <see cref="Check(Socket)"/>, for a descriptor that <paramref name="owner"/> closes.</summary>
    public void Check(SafeHandle descriptor, IDisposable owner)
    {
        if (_firstReserved == long.MaxValue || !IsReserved(descriptor.DangerousGetHandle()))
        {
            return;
        }

        owner.Dispose();
        throw new SocketException((int)SocketError.TooManyOpenSockets);
    }
}
