using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Net;
using Bouncer.Engine.Sessions;

namespace Bouncer.Engine.Tcp;

/// <summary>
/// One direction of a TCP session: a fill loop (source socket → pipe) and a drain loop
/// (pipe → destination socket), as Kestrel's SocketConnection does it. The pipe gives
/// back-pressure (the fill loop stops reading while the destination cannot keep up) and pooled
/// 64 KiB segments. The steady state allocates nothing: <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags)"/>
/// and <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags)"/> complete through one
/// cached awaitable per socket and direction (the same reusable SocketAsyncEventArgs Kestrel keeps
/// by hand), and the pipe's ValueTasks are backed by the pipe itself.
/// End of stream is forwarded as <c>Shutdown(Send)</c>; failures go to the owning <see cref="TcpSplice"/>.
/// </summary>
internal sealed class SocketPump
{
    /// <summary>64 KiB: 16 KiB segments cost about 40% throughput (design §7).</summary>
    public const int MinimumSegmentSize = 64 * 1024;

    private static readonly PipeOptions Options = new(
        pool: MemoryPool<byte>.Shared,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: MinimumSegmentSize,
        useSynchronizationContext: false);

    private readonly Socket _source;
    private readonly Socket _destination;
    private readonly SessionSide _sourceSide;
    private readonly IoDirection _direction;
    private readonly TcpSplice _owner;
    private readonly BandwidthLimiter? _bandwidth;
    private readonly Pipe _pipe = new(Options);

    // Plain fields: written only by this pump's loops, read by the owner after both have ended.
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

    /// <summary>Source → pipe, until end of stream or failure. The owner awaits it with <see cref="DrainAsync"/>.</summary>
    public async Task FillAsync()
    {
        var writer = _pipe.Writer;
        Exception? failure = null;
        try
        {
            var waitForData = true;
            while (true)
            {
                if (waitForData)
                {
                    // Wait for data before renting a buffer, so an idle session holds no memory.
                    await _source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                var memory = writer.GetMemory(MinimumSegmentSize);
                var read = await _source.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    _owner.OnEndOfStream(_sourceSide);
                    break;
                }

                // A read that filled the buffer means more is probably queued: read again at once
                // (it completes synchronously) instead of first peeking with another zero-byte
                // receive. That saves one system call in three on a bulk stream; a session whose
                // last read was short, which is every session that goes idle, still waits bufferless.
                waitForData = read < memory.Length;

                _bytesRead += read;
                _owner.Touch();
                if (_owner.RaisesIoEvents)
                {
                    _owner.RaiseIo(_direction, memory.Span[..read]);
                }

                writer.Advance(read);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The drain loop has stopped (its side failed and was reported there).
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            failure = exception;
            _owner.OnFailure(_sourceSide, SocketErrorClassifier.Classify(exception));
        }
        finally
        {
            // With an exception the drain loop learns the stream did not end cleanly and skips the half-close.
            await writer.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>Pipe → destination, then the half-close.</summary>
    public async Task DrainAsync()
    {
        var reader = _pipe.Reader;
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
            _destination.Shutdown(SocketShutdown.Send);
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
