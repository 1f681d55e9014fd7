using System.Net.Sockets;
using Bouncer.Engine.Net;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A kernel pipe that moves one direction of a bulk stream from socket to socket with splice(2):
/// the bytes go from the source's receive queue into the pipe and from the pipe onto the
/// destination by page reference, never into this process's memory. Copying them through a
/// user-space buffer costs two copies per byte; on loopback that was most of a bulk session's CPU.
/// </summary>
/// <remarks>
/// Both sockets must be non-blocking for splice: the kernel takes the mode from the socket, not
/// from the call's flags. The outgoing socket is opened so; an accepted one is switched once, here.
/// The pipe costs two descriptors for as long as its direction lasts.
/// </remarks>
internal sealed class SplicePipe : IDisposable
{
    /// <summary>The pipe's capacity asked for: 256 KiB, four times the default, for fewer calls per megabyte.</summary>
    private const int Capacity = 256 * 1024;

    /// <summary>
    /// The least capacity worth splicing through. Past the user's pipe memory
    /// (fs.pipe-user-pages-soft, 64 MiB: about 256 bulk directions at once) new pipes get two
    /// pages, and two calls per 8 KiB would cost more than copying 64 KiB at a time.
    /// </summary>
    private const int LeastCapacity = 64 * 1024;

    private static long s_opened;

    private readonly EpollTcpChannel _source;
    private readonly EpollTcpChannel _destination;
    private readonly SocketDescriptor _readEnd;
    private readonly SocketDescriptor _writeEnd;

    private SplicePipe(EpollTcpChannel source, EpollTcpChannel destination, SocketDescriptor readEnd, SocketDescriptor writeEnd)
    {
        _source = source;
        _destination = destination;
        _readEnd = readEnd;
        _writeEnd = writeEnd;
    }

    /// <summary>Pipes opened since the process started: every one is a stream that stayed out of the process's memory.</summary>
    public static long Opened => Interlocked.Read(ref s_opened);

    /// <summary>Bytes in the pipe, taken from the source and not yet given to the destination.</summary>
    public int Queued { get; private set; }

    /// <summary>
    /// A pipe between two epoll channels, or null: other channels, no descriptor to spare (the
    /// descriptor reserve stays untouched) or too little pipe memory; the stream is then copied.
    /// </summary>
    public static SplicePipe? TryOpen(Tcp.TcpChannel source, Tcp.TcpChannel destination, DescriptorHeadroom descriptors)
    {
        if (source is not EpollTcpChannel from || destination is not EpollTcpChannel to)
        {
            return null;
        }

        if (!EpollCalls.TryOpenPipe(out var readEnd, out var writeEnd))
        {
            return null;
        }

        if (descriptors.IsReserved(writeEnd.DangerousGetHandle())
            || EpollCalls.SetPipeCapacity(writeEnd, Capacity) < LeastCapacity
            || !from.TryMakeNonBlocking()
            || !to.TryMakeNonBlocking())
        {
            readEnd.Dispose();
            writeEnd.Dispose();
            return null;
        }

        Interlocked.Increment(ref s_opened);
        return new SplicePipe(from, to, readEnd, writeEnd);
    }

    /// <summary>
    /// Moves what the source has queued into the pipe: the bytes moved, 0 at the source's end of
    /// stream, or -1 when it has nothing queued. Throws <see cref="SocketException"/> on a failure.
    /// </summary>
    public int Fill()
    {
        var moved = EpollCalls.Splice(_source.Handle, _writeEnd, Capacity);
        if (moved > 0)
        {
            Queued += moved;
        }

        return moved >= 0 ? moved : Result(moved);
    }

    /// <summary>
    /// Moves what the pipe holds onto the destination: the bytes moved, or -1 when the destination
    /// takes nothing now. Throws <see cref="SocketException"/> on a failure.
    /// </summary>
    public int Drain()
    {
        var moved = EpollCalls.Splice(_readEnd, _destination.Handle, Queued);
        if (moved > 0)
        {
            Queued -= moved;
        }

        return moved >= 0 ? moved : Result(moved);
    }

    public ValueTask<int> WaitReadableAsync() => _source.WaitReadableAsync();

    public ValueTask<int> WaitWritableAsync() => _destination.WaitWritableAsync();

    public void Dispose()
    {
        _readEnd.Dispose();
        _writeEnd.Dispose();
    }

    private static int Result(int error) =>
        -error == EpollCalls.ErrnoWouldBlock ? -1 : throw new SocketException((int)LinuxErrors.ToSocketError(-error));
}
