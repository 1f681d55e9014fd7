using Bouncer.Cli.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Bouncer.Cli.Tests.Logging;

public sealed class BoundedQueueSinkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_stalled_destination_loses_only_what_exceeds_the_queue_and_the_loss_is_logged_when_it_moves()
    {
        using var destination = new GatedSink();
        using var sink = new BoundedQueueSink(destination, TimeProvider.System, capacity: 4);

        sink.Emit(Event("1"));
        Assert.True(destination.Entered.Wait(Bound)); // the writer holds event 1, stuck in the destination
        for (var i = 2; i <= 10; i++)
        {
            sink.Emit(Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture))); // returns at once
        }

        Assert.Equal(5, sink.DroppedTotal); // 2..5 queued, 6..10 dropped
        destination.Open();
        await destination.WaitForAsync(6); // the queue is empty again
        sink.Emit(Event("11"));
        var written = await destination.WaitForAsync(7);

        Assert.Equal(
            ["1", "log: 5 lines dropped: the log destination did not keep up", "2", "3", "4", "5", "11"],
            written);
        Assert.Equal(LogEventLevel.Warning, destination.Levels[1]);
    }

    [Fact]
    public async Task Dispose_gives_up_on_a_destination_that_never_moves()
    {
        using var destination = new GatedSink();
        var sink = new BoundedQueueSink(destination, TimeProvider.System, capacity: 4);
        sink.Emit(Event("stuck"));
        Assert.True(destination.Entered.Wait(Bound));

        await Task.Run(sink.Dispose).WaitAsync(Bound);
        sink.Emit(Event("after")); // neither throws nor blocks
        destination.Open();
    }

    [Fact]
    public async Task Dispose_writes_what_is_queued_then_disposes_the_destination()
    {
        var destination = new GatedSink();
        var sink = new BoundedQueueSink(destination, TimeProvider.System, capacity: 16);
        destination.Open();
        for (var i = 0; i < 10; i++)
        {
            sink.Emit(Event($"e{i}"));
        }

        await Task.Run(sink.Dispose).WaitAsync(Bound);

        Assert.Equal(10, destination.Written.Count);
        Assert.True(destination.IsDisposed);
    }

    private static LogEvent Event(string text) =>
        new(DateTimeOffset.Now, LogEventLevel.Information, null, new MessageTemplate([new TextToken(text)]), []);

    /// <summary>A destination that blocks in <see cref="Emit"/> until opened, as a write into a full pipe does.</summary>
    private sealed class GatedSink : ILogEventSink, IDisposable
    {
        private readonly ManualResetEventSlim _open = new();
        private readonly Lock _gate = new();
        private readonly List<string> _written = [];
        private readonly List<LogEventLevel> _levels = [];

        public ManualResetEventSlim Entered { get; } = new();

        public bool IsDisposed { get; private set; }

        public IReadOnlyList<string> Written
        {
            get
            {
                lock (_gate)
                {
                    return [.. _written];
                }
            }
        }

        public IReadOnlyList<LogEventLevel> Levels
        {
            get
            {
                lock (_gate)
                {
                    return [.. _levels];
                }
            }
        }

        public void Emit(LogEvent logEvent)
        {
            Entered.Set();
            _open.Wait();
            lock (_gate)
            {
                _written.Add(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
                _levels.Add(logEvent.Level);
            }
        }

        public void Open() => _open.Set();

        public async Task<IReadOnlyList<string>> WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(Bound);
            while (Written.Count < count)
            {
                await Task.Delay(10, timeout.Token);
            }

            return Written;
        }

        public void Dispose()
        {
            IsDisposed = true;
            _open.Set();
        }
    }
}
