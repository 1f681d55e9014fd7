using System.Collections.Concurrent;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The batches of the relay's sockets, lent for one wake-up. A socket needs one only while it is
/// busy, so the number in use is about the number of threads relaying, not of sockets or flows.
/// </summary>
internal static class DatagramBatchPool
{
    /// <summary>Batches kept for reuse; one returned beyond this (after a burst on many threads) is left to the collector.</summary>
    private static readonly int MaxKept = Math.Max(4, 2 * Environment.ProcessorCount);

    private static readonly ConcurrentQueue<DatagramBatch> Kept = new();

    public static DatagramBatch Rent() => Kept.TryDequeue(out var batch) ? batch : new DatagramBatch();

    public static void Return(DatagramBatch batch)
    {
        if (Kept.Count < MaxKept)
        {
            Kept.Enqueue(batch);
        }
    }
}
