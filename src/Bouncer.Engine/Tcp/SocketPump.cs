using System.Buffers;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Sessions;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One direction of a TCP session: one loop that reads from the source socket into a pooled
/// 64 KiB buffer and writes it to the destination socket, as haproxy and nginx stream do it.
/// End of stream is forwarded as <c>Shutdown(Send)</c>; failures go to the owning <see cref="TcpSplice"/>.
/// </summary>
/// <remarks>
/// There is no <c>Pipe</c> between the two sockets (an earlier version had one per direction, with
/// a second loop draining it, as Kestrel does): the kernel's socket buffers already hold what the
/// destination cannot take yet, and while a send waits this loop does not read, which is the
/// back-pressure the pipe gave. Dropping the pipes and their drain loops took 0.6–1.2 KB off the
/// resident memory of every idle session (two pipes with reader, writer and segment pool, two
/// state machines, two tasks) and kept bulk throughput (see docs/performance.md). The steady state allocates nothing:
/// the receive and send complete through one cached awaitable per socket and direction, and the
/// buffer comes from <see cref="ArrayPool{T}.Shared"/>.
/// </remarks>
internal sealed class SocketPump
{
    /// <summary>64 KiB: 16 KiB segments cost about 40% throughput (design §7).</summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>
    /// The buffer for the first read after a wait. Most wake-ups of an interactive or idle session
    /// bring a few bytes, and a 64 KiB array from the pool is 16 pages of resident memory however
    /// little it holds: with thousands of sessions waking at once the pool and the heap kept
    /// hundreds of them (measured: 259 live 64 KiB arrays after 3,000 one-byte round trips).
    /// A read that fills this buffer is followed by 64 KiB reads, so a bulk stream pays one small
    /// read per wake-up.
    /// </summary>
    public const int FirstReadSize = 4 * 1024;

    private readonly Socket _source;
    private readonly Socket _destination;
    private readonly SessionSide _sourceSide;
    private readonly IoDirection _direction;
    private readonly TcpSplice _owner;
    private readonly BandwidthLimiter? _bandwidth;

    // Plain fields: written only by this pump's loop, read by the owner after it has ended
    // (or, for the live-session dump, as a torn-free 64-bit read on a 64-bit process).
    private long _bytesRead;
    private long _bytesWritten;

    public SocketPump(Socket source, Socket destination, SessionSide sourceSide, TcpSplice owner, BandwidthLimiter? bandwidth)
    {
        _source = source;
        _destination = destination;
        _sourceSide = sourceSide;
        _direction = sourceSide == SessionSide.Client ? IoDirection.ClientToTarget : IoDirection.TargetToClient;
        _owner = owner;
        _bandwidth = bandwidth;

        // Synchronous sends must return WouldBlock instead of blocking the thread (see SendAsync).
        _destination.Blocking = false;
    }

    public long BytesRead => _bytesRead;

    public long BytesWritten => _bytesWritten;

    private SessionSide DestinationSide => _sourceSide == SessionSide.Client ? SessionSide.Target : SessionSide.Client;

    /// <summary>Source → destination until end of stream (then the half-close) or failure.</summary>
    public async Task RunAsync()
    {
        byte[]? buffer = null;
        var side = _sourceSide;
        try
        {
            var waitForData = true;
            while (true)
            {
                if (waitForData)
                {
                    // Wait for data without a buffer, so an idle session holds no memory.
                    Return(ref buffer);
                    side = _sourceSide;
                    await _source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(FirstReadSize);
                }
                else if (buffer!.Length < SegmentSize)
                {
                    // The last read filled the buffer: a stream is flowing, read it in full segments.
                    Return(ref buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(SegmentSize);
                }

                side = _sourceSide;
                var read = await _source.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    // Everything the source sent is delivered: pass the FIN on.
                    _owner.OnEndOfStream(_sourceSide);
                    side = DestinationSide;
                    _destination.Shutdown(SocketShutdown.Send);
                    break;
                }

                // A read that filled the buffer means more is probably queued: read again at once
                // (it completes synchronously) instead of first peeking with another zero-byte
                // receive. That saves one system call in three on a bulk stream; a session whose
                // last read was short, which is every session that goes idle, still waits bufferless.
                waitForData = read < buffer.Length;

                _bytesRead += read;
                _owner.Touch();
                if (_owner.RaisesIoEvents)
                {
                    _owner.RaiseIo(_direction, buffer.AsSpan(0, read));
                }

                side = DestinationSide;
                await SendAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            _owner.OnFailure(side, SocketErrorClassifier.Classify(exception));
        }
        finally
        {
            Return(ref buffer);
        }
    }

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var chunk = data;
            if (_bandwidth is not null)
            {
                chunk = data[..Math.Min(data.Length, _bandwidth.SliceBytes)];
                var wait = _bandwidth.Reserve(chunk.Length);
                if (wait > TimeSpan.Zero)
                {
                    _owner.OnSlowed(_bandwidth);
                    await Task.Delay(wait, _owner.Ending).ConfigureAwait(false);
                }
            }

            // Try the send synchronously first (the destination socket is non-blocking): it nearly
            // always completes at once, and then no SocketAsyncEventArgs is ever created for it
            // (about 400 bytes per socket, which counts with thousands of idle sessions). Only a
            // send the kernel cannot take now is handed to the async path.
            var sent = _destination.Send(chunk.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                sent = await _destination.SendAsync(chunk, SocketFlags.None).ConfigureAwait(false);
            }
            else if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            _bytesWritten += sent;
            data = data[sent..];
        }
    }
}
