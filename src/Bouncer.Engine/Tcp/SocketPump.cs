using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using Bouncer.Engine.Epoll;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Sessions;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One direction of a TCP session over a <see cref="Pipe"/>, as Kestrel's SocketConnection does it
/// (design §7): a fill loop (source socket → pipe) and a drain loop (pipe → destination socket),
/// 64 KiB segments, inline schedulers, and pause/resume thresholds that stop the fill loop while
/// the destination cannot keep up. End of stream is forwarded as <c>Shutdown(Send)</c> once all
/// data is delivered; failures go to the owning <see cref="TcpSplice"/>.
/// </summary>
/// <remarks>
/// Idle sessions must stay cheap (target ≤ 8 KB RSS per connection). A pipe and its drain loop
/// cost about 0.5 KB per direction, and pooled 64 KiB arrays rented by thousands of sessions that
/// wake at once stayed resident (259 live ones after 3,000 one-byte round trips: 8.94 KB per
/// idle connection with a pipe per direction from the start). So the loop waits for data with a
/// zero-byte receive, reads the first bytes after each wait into a small pooled buffer, and sends
/// a short read straight on (the request/response case) when nothing earlier is still queued. Only
/// a read that fills the small buffer, or data arriving while earlier data is still queued, goes
/// through the pipe, which is created (with its drain loop) the first time that happens and then
/// kept. A pipe returns its segments to the pool once drained, so an idle session holds no buffer
/// either way. Sends are tried synchronously first on the non-blocking destination socket.
/// Where the transport can, a stream that fills the small buffer moves on inside the kernel
/// instead of through a pipe (<see cref="SplicePipe"/>): then its bytes never reach this process.
/// </remarks>
internal sealed class SocketPump
{
    /// <summary>64 KiB: 16 KiB segments cost about 40% throughput (design §7).</summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>
    /// The buffer for the first read after a wait. Most wake-ups of an interactive or idle session
    /// bring a few bytes, and a 64 KiB array from the pool is 16 pages of resident memory however
    /// little it holds. A read that fills this buffer switches to 64 KiB reads into the pipe, so a
    /// bulk stream pays one small read (and a 4 KiB copy) per wake-up.
    /// </summary>
    public const int FirstReadSize = 4 * 1024;

    // Pause at 256 KiB, resume at 128 KiB: the kernel's socket buffers on either side already hold
    // megabytes, so a deeper pipe adds memory per bulk session, not throughput (paired quick runs
    // against 1 MiB/512 KiB were the same within the machine's spread, 530–790 MB/s both).
    internal static readonly PipeOptions BulkOptions = new(
        pool: MemoryPool<byte>.Shared,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        minimumSegmentSize: SegmentSize,
        useSynchronizationContext: false);

    private readonly TcpChannel _source;
    private readonly TcpChannel _destination;
    private readonly SessionSide _sourceSide;
    private readonly IoDirection _direction;
    private readonly TcpSplice _owner;
    private readonly BandwidthLimiter? _bandwidth;
    private readonly DescriptorHeadroom? _spliceDescriptors;

    // Created by the fill loop on the first bulk read, then kept; only the fill loop assigns them.
    private Pipe? _pipe;
    private Task? _drain;

    // _bytesRead is written only by the fill loop. _bytesWritten is written by whichever loop sends:
    // the fill loop sends directly only when _bytesWritten == _bytesRead, that is when the drain
    // loop has nothing left to send, so the two never write it at the same time.
    private long _bytesRead;
    private long _bytesWritten;

    /// <param name="spliceDescriptors">
    /// The descriptor reserve a kernel pipe is checked against, or null when the bytes must pass
    /// through the process (I/O events, a bandwidth limit, or splicing turned off).
    /// </param>
    public SocketPump(TcpChannel source, TcpChannel destination, SessionSide sourceSide, TcpSplice owner, BandwidthLimiter? bandwidth, DescriptorHeadroom? spliceDescriptors)
    {
        _spliceDescriptors = spliceDescriptors;
        _source = source;
        _destination = destination;
        _sourceSide = sourceSide;
        _direction = sourceSide == SessionSide.Client ? IoDirection.ClientToTarget : IoDirection.TargetToClient;
        _owner = owner;
        _bandwidth = bandwidth;
    }

    public long BytesRead => _bytesRead;

    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    private SessionSide DestinationSide => _sourceSide == SessionSide.Client ? SessionSide.Target : SessionSide.Client;

    /// <summary>
    /// The fill loop: source → destination (directly or through the pipe) until end of stream (then
    /// the half-close) or failure. Once the drain loop, if one was started, has ended too, it tells
    /// the owner (<see cref="TcpSplice.OnDirectionEnded"/>), which waits for both directions: the
    /// returned task needs no watching.
    /// </summary>
    public async Task RunAsync()
    {
        byte[]? small = null;
        SplicePipe? kernelPipe = null;
        Exception? failure = null;
        var side = _sourceSide;
        try
        {
            var waitForData = true;

            // Only the client's side is read before its first wait (TryReceiveNow says why).
            var first = _sourceSide == SessionSide.Client;
            while (true)
            {
                side = _sourceSide;
                PipeWriter writer;
                if (waitForData)
                {
                    int read;
                    var tryNow = first;
                    first = false;
                    if (!tryNow || !TryReceiveNow(out small, out read))
                    {
                        // Wait for data without a buffer, so an idle session holds no memory; a
                        // wake-up that finds nothing (a transport may wake early) waits again.
                        do
                        {
                            await _source.WaitReadableAsync().ConfigureAwait(false);
                        }
                        while (!TryReceiveNow(out small, out read));
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    var delivered = Volatile.Read(ref _bytesWritten) == _bytesRead;
                    OnRead(small.AsSpan(0, read));
                    waitForData = read < small.Length;
                    if (waitForData && delivered)
                    {
                        // A short read with nothing queued before it: send it on without the pipe.
                        side = DestinationSide;
                        await SendAsync(small.AsMemory(0, read)).ConfigureAwait(false);
                        Return(ref small);
                        continue;
                    }

                    // A stream is flowing, and nothing is queued before this read: the rest of it
                    // can move inside the kernel once this read is sent on.
                    if (_pipe is null && _spliceDescriptors is not null && (kernelPipe = SplicePipe.TryOpen(_source, _destination, _spliceDescriptors)) is not null)
                    {
                        side = DestinationSide;
                        await SendAsync(small.AsMemory(0, read)).ConfigureAwait(false);
                        Return(ref small);
                        if (!await SpliceAsync(kernelPipe).ConfigureAwait(false))
                        {
                            return;
                        }

                        break;
                    }

                    // A stream is flowing (or earlier data is still queued): the pipe keeps the order.
                    writer = StartPipe().Writer;
                    writer.Write(small.AsSpan(0, read));
                    Return(ref small);
                }
                else
                {
                    // The last read filled its buffer: read the rest straight into the pipe's segments.
                    writer = _pipe!.Writer;
                    var memory = writer.GetMemory();
                    var read = await _source.ReceiveAsync(memory).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    OnRead(memory.Span[..read]);
                    writer.Advance(read);

                    // A full read means more is probably queued: read again at once (it completes
                    // synchronously) instead of first peeking with another zero-byte receive. That
                    // saves one system call in three on a bulk stream.
                    waitForData = read < memory.Length;
                }

                // Inline schedulers: the flush runs the drain loop's send on this thread, and
                // returns at once unless more than the pause threshold is queued.
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The drain loop has stopped (its side failed and was reported there).
                    return;
                }
            }

            // Everything the source sent is read: pass the FIN on, through the pipe if there is one.
            _owner.OnEndOfStream(_sourceSide);
            if (_pipe is null)
            {
                side = DestinationSide;
                PassFinOn();
            }
        }
        catch (Exception exception)
        {
            failure = exception;
            _owner.OnFailure(side, SocketErrorClassifier.Classify(exception));
        }
        finally
        {
            Exception? unexpected = null;
            try
            {
                Return(ref small);
                kernelPipe?.Dispose();
                if (_pipe is not null)
                {
                    // With an exception the drain loop learns the stream did not end cleanly and skips the half-close.
                    await _pipe.Writer.CompleteAsync(failure).ConfigureAwait(false);
                    await _drain!.ConfigureAwait(false);
                }
            }
            catch (Exception exception)
            {
                unexpected = exception;
            }

            _owner.OnDirectionEnded(unexpected);
        }
    }

    /// <summary>
    /// The rest of the stream through <paramref name="pipe"/>: filled from the source, then drained
    /// to the destination, until the source's end of stream. True then, with everything delivered;
    /// false after a failure, which is reported here with the side it happened on.
    /// </summary>
    private async ValueTask<bool> SpliceAsync(SplicePipe pipe)
    {
        var side = _sourceSide;
        try
        {
            while (true)
            {
                side = _sourceSide;
                var moved = pipe.Fill();
                if (moved < 0)
                {
                    await pipe.WaitReadableAsync().ConfigureAwait(false);
                    continue;
                }

                if (moved == 0)
                {
                    return true;
                }

                _bytesRead += moved;
                _owner.Touch();
                side = DestinationSide;
                while (pipe.Queued > 0)
                {
                    var sent = pipe.Drain();
                    if (sent < 0)
                    {
                        await pipe.WaitWritableAsync().ConfigureAwait(false);
                        continue;
                    }

                    Volatile.Write(ref _bytesWritten, _bytesWritten + sent);
                }
            }
        }
        catch (Exception exception)
        {
            _owner.OnFailure(side, SocketErrorClassifier.Classify(exception));
            return false;
        }
    }

    /// <summary>
    /// A read into a small buffer on the non-blocking socket, without waiting. The first read from
    /// the client is tried so at once: a client has usually sent its request while the target was
    /// being connected, and a wait first would cost one more system call. The target's side is not:
    /// it answers only once that request has reached it, so a read at once would nearly always find
    /// nothing (one system call per session, 0.8 per connection measured), and the wait reports
    /// what came meanwhile. False, holding no buffer, when nothing is queued yet.
    /// </summary>
    private bool TryReceiveNow([NotNullWhen(true)] out byte[]? small, out int read)
    {
        small = ArrayPool<byte>.Shared.Rent(FirstReadSize);
        read = _source.Receive(small, out var error);
        if (error == SocketError.Success)
        {
            return true;
        }

        Return(ref small);
        return error == SocketError.WouldBlock ? false : throw new SocketException((int)error);
    }

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private void OnRead(ReadOnlySpan<byte> data)
    {
        _bytesRead += data.Length;
        _owner.Touch();
        if (_owner.RaisesIoEvents)
        {
            _owner.RaiseIo(_direction, data);
        }
    }

    private void PassFinOn()
    {
        if (_owner.TakeFinTurn())
        {
            _destination.ShutdownSend();
        }
    }

    private Pipe StartPipe()
    {
        if (_pipe is null)
        {
            _pipe = new Pipe(BulkOptions);
            _drain = DrainAsync(_pipe.Reader);
        }

        return _pipe;
    }

    /// <summary>The drain loop: pipe → destination, then the half-close.</summary>
    private async Task DrainAsync(PipeReader reader)
    {
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The fill loop completed the pipe with its failure and has reported it already.
                catch (Exception)
#pragma warning restore CA1031
                {
                    return;
                }

                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await SendAsync(segment).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            // The source ended cleanly and everything it sent is delivered: pass the FIN on.
            PassFinOn();
        }
        catch (Exception exception)
        {
            _owner.OnFailure(DestinationSide, SocketErrorClassifier.Classify(exception));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
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
                    await Task.Delay(wait, _bandwidth.Time, _owner.Ending).ConfigureAwait(false);
                }
            }

            // Try the send synchronously first (the destination socket is non-blocking): it nearly
            // always completes at once, and then no SocketAsyncEventArgs is ever created for it
            // (about 400 bytes per socket, which counts with thousands of idle sessions). Only a
            // send the kernel cannot take now is handed to the async path.
            var sent = _destination.Send(chunk.Span, out var error);
            if (error == SocketError.WouldBlock)
            {
                sent = await _destination.SendAsync(chunk).ConfigureAwait(false);
            }
            else if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            Volatile.Write(ref _bytesWritten, _bytesWritten + sent);
            data = data[sent..];
        }
    }
}
