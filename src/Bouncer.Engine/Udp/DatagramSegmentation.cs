namespace Bouncer.Engine.Udp;

/// <summary>
/// Which runs of equal datagrams a <see cref="DatagramBatch"/> may send as one message
/// (segmentation offload): the engine's setting, the kernel's support, and what the kernel has
/// refused since. A run whose datagrams are larger than the path's MTU is refused (EMSGSIZE), and
/// from then on runs of datagrams that large are not tried; a device without checksum offload
/// refuses every run (EIO), and then none is tried. The datagrams of a refused run are sent one
/// by one, none lost. The first refusal is said, so an operator who sees the relay cost more per
/// datagram knows why.
/// </summary>
internal sealed class DatagramSegmentation
{
    private const int ErrnoIo = 5;
    private const int ErrnoInvalid = 22;
    private const int ErrnoMessageSize = 90;

    private readonly Action<string> _report;

    // Runs of datagrams this large or larger are not tried: int.MaxValue while nothing was
    // refused, 0 when runs are off. Every loop reads it; a refusal lowers it, never raises it.
    private int _smallestRefused;
    private int _reported;

    /// <param name="enabled"><see cref="EngineOptions.DatagramSegmentation"/>.</param>
    /// <param name="report">Where the first refusal is said.</param>
    public DatagramSegmentation(bool enabled, Action<string> report)
    {
        _report = report;
        _smallestRefused = enabled && DatagramBatch.SegmentationSupported ? int.MaxValue : 0;
    }

    /// <summary>Whether any run may go as one message.</summary>
    public bool Enabled => Volatile.Read(ref _smallestRefused) > 1;

    /// <summary>Whether a run of datagrams of <paramref name="size"/> bytes may go as one message.</summary>
    public bool Allows(int size) => size < Volatile.Read(ref _smallestRefused);

    /// <summary>
    /// Whether a send that failed with <paramref name="errno"/> was refused as a run (EMSGSIZE: a
    /// datagram larger than the path's MTU; EIO: no checksum offload; EINVAL: a socket without UDP
    /// checksums), which its datagrams sent one by one would not be.
    /// </summary>
    public static bool IsRefusal(int errno) => errno is ErrnoIo or ErrnoInvalid or ErrnoMessageSize;

    /// <summary>The kernel refused a run of datagrams of <paramref name="size"/> bytes with <paramref name="errno"/>.</summary>
    public void Refused(int errno, int size)
    {
        // Two loops may be refused at once; neither may undo the other's lower limit.
        int current;
        do
        {
            current = Volatile.Read(ref _smallestRefused);
        }
        while (Interlocked.CompareExchange(ref _smallestRefused, errno == ErrnoMessageSize ? Math.Min(current, size) : 0, current) != current);

        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            _report(errno == ErrnoMessageSize
                ? $"udp: the kernel refused to send a run of {size}-byte datagrams as one (segmentation offload): they are larger than the path's MTU; datagrams this large are now sent one by one, none was lost"
                : $"udp: the kernel refused to send a run of datagrams as one (segmentation offload, errno {errno}: a device without checksum offload, or a socket without UDP checksums); every datagram is now sent on its own, none was lost");
        }
    }
}
