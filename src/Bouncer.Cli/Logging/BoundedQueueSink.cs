using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Puts a bounded queue and a writer thread of its own in front of one sink, so that forwarding
/// never waits on a log destination: <see cref="Emit"/> only enqueues, and when the destination
/// stalls (a pipe nobody reads, a stuck journald, a slow disk) events beyond the queue are dropped
/// and counted. The first event the destination takes after a drop is preceded by one warning with
/// the count, so the log itself says what it lost and when it moved again.
/// </summary>
/// <remarks>
/// Serilog.Sinks.Async is not used: its worker reports drops only to SelfLog, never into the log
/// stream, and its Dispose joins the worker, which waits for ever on a destination that does not
/// read (a daemon whose log reader is stuck could then not stop). Both are the point of this class.
/// </remarks>
public sealed class BoundedQueueSink : ILogEventSink, IDisposable
{
    /// <summary>
    /// Events held per destination: most of a second of lines at the session rate one bouncer
    /// reaches (two lines a session; docs/performance.md), so a journald or pager that pauses
    /// briefly loses nothing, while the worst case stays a few MiB of queued events.
    /// </summary>
    public const int DefaultCapacity = 16_384;

    /// <summary>How long <see cref="Dispose"/> lets queued events drain before it gives up on them.</summary>
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(1);

    private readonly ILogEventSink _destination;
    private readonly TimeProvider _time;
    private readonly BlockingCollection<LogEvent> _queue;
    private readonly Thread _writer;
    private readonly LogDropCounter? _processDrops;
    private long _dropped;
    private long _droppedTotal;

    /// <param name="processDrops">Also counts this sink's drops there (the daemon's total for its metrics).</param>
    public BoundedQueueSink(ILogEventSink destination, TimeProvider time, int capacity = DefaultCapacity, LogDropCounter? processDrops = null)
    {
        _destination = destination;
        _time = time;
        _processDrops = processDrops;
        _queue = new BlockingCollection<LogEvent>(new ConcurrentQueue<LogEvent>(), capacity);

        // A thread of its own, not the thread pool: a write blocked on a full pipe may never return,
        // and must not hold a pool thread the sockets need.
        _writer = new Thread(WriteAll) { IsBackground = true, Name = "bouncer log writer" };
        _writer.Start();
    }

    /// <summary>Events dropped since this sink was built, because the destination did not keep up.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public void Emit(LogEvent logEvent)
    {
        bool added;
        try
        {
            added = _queue.TryAdd(logEvent);
        }
        catch (InvalidOperationException)
        {
            // Disposed by a log reopen that raced this event; the new pipeline has it covered.
            added = false;
        }

        if (!added)
        {
            Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _droppedTotal);
            _processDrops?.Dropped();
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!_writer.Join(s_drainLimit))
        {
            // The destination is stuck; its thread is a background thread and ends with the process.
            return;
        }

        _queue.Dispose();
        (_destination as IDisposable)?.Dispose();
    }

    private void WriteAll()
    {
        foreach (var logEvent in _queue.GetConsumingEnumerable())
        {
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                Write(DroppedNotice(dropped));
            }

            Write(logEvent);
        }
    }

    private void Write(LogEvent logEvent)
    {
        try
        {
            _destination.Emit(logEvent);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A destination that fails is not worth stopping the writer for: the next event may pass.
            Serilog.Debugging.SelfLog.WriteLine("log destination failed: {0}", ex.Message);
        }
    }

    private LogEvent DroppedNotice(long dropped)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"log: {dropped} line{(dropped == 1 ? string.Empty : "s")} dropped: the log destination did not keep up");
        return new LogEvent(_time.GetLocalNow(), LogEventLevel.Warning, null, new MessageTemplate([new TextToken(text)]), []);
    }
}
