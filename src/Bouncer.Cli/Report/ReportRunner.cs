namespace Bouncer.Cli.Report;

/// <summary>
/// Runs <c>bouncer report</c>: opens every input, reads them oldest first (a file and its
/// rotations in the order they were written, so a session that began before a rotation and ended
/// after it is matched), and writes the report; with <c>--follow</c> keeps reading the live files
/// (and standard input until it ends) and writes the report again every few seconds when it changed.
/// </summary>
public sealed class ReportRunner
{
    // The live view reads the files this often; the report is redrawn every ReportOptions.Refresh.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // A terminal gets the view redrawn in place, like top: home the cursor and clear the screen.
    private const string ClearScreen = "\u001b[H\u001b[2J";

    private readonly ReportOptions _options;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly Func<Stream> _standardInput;
    private readonly bool _outputIsTerminal;
    private readonly ReportAggregator _aggregator;
    private readonly TimeProvider _time;

    public ReportRunner(ReportOptions options, TextWriter output, TextWriter error, Func<Stream> standardInput, bool outputIsTerminal, TimeProvider time)
    {
        _time = time;
        _options = options;
        _output = output;
        _error = error;
        _standardInput = standardInput;
        _outputIsTerminal = outputIsTerminal;
        _aggregator = new ReportAggregator(options.SinceTicks, options.UntilTicks, options.Interval);
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var inputs = new List<LogInput>();
        try
        {
            for (var i = 0; i < _options.Files.Count; i++)
            {
                try
                {
                    inputs.Add(LogInput.Open(_options.Files[i], i, _standardInput));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    await _error.WriteLineAsync($"bouncer: report: cannot read {_options.Files[i]}: {e.Message}").ConfigureAwait(false);
                    return ExitCodes.EnvironmentError;
                }
            }

            return _options.Follow
                ? await FollowAsync(inputs, cancellationToken).ConfigureAwait(false)
                : await ReadOnceAsync(inputs).ConfigureAwait(false);
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    private async Task<int> ReadOnceAsync(IReadOnlyList<LogInput> inputs)
    {
        var reader = new ReportReader(_aggregator);
        foreach (var input in LogInput.OldestFirst(inputs))
        {
            var lines = new LineSplitter(input.Stream, input.Peeked);
            await ReadToEndAsync(input, lines, reader).ConfigureAwait(false);
            lines.Finish(reader);
        }

        await _output.WriteAsync(Render(indented: true)).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> FollowAsync(IReadOnlyList<LogInput> inputs, CancellationToken cancellationToken)
    {
        // Readers and the redraw share the tallies; the lock is taken per line, uncontended but for a redraw.
        var gate = new object();
        var reader = new LockedLineConsumer(new ReportReader(_aggregator), gate);
        var followed = new List<FollowedFile>();
        Thread? standardInputReader = null;
        try
        {
            foreach (var input in LogInput.OldestFirst(inputs))
            {
                var lines = new LineSplitter(input.Stream, input.Peeked);
                if (input.IsStandardInput)
                {
                    // Reading standard input blocks until its writer writes, so it gets a thread of its own.
                    standardInputReader = new Thread(() => ReadStandardInput(input, lines, reader))
                    {
                        IsBackground = true,
                        Name = "report standard input",
                    };
                    standardInputReader.Start();
                    continue;
                }

                await ReadToEndAsync(input, lines, reader).ConfigureAwait(false);
                if (input.File is { } file && !inputs.Any(other => input.IsRotationOf(other)))
                {
                    followed.Add(new FollowedFile(input.Name, file, lines));
                }
                else
                {
                    lines.Finish(reader);
                }
            }

            var changed = true;
            var drawn = false;
            var lastDraw = _time.GetTimestamp();
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow().UtcDateTime;
                foreach (var file in followed)
                {
                    changed |= file.Poll(reader, now);
                }

                changed |= reader.TakeChanged();
                if (changed && (!drawn || _time.GetElapsedTime(lastDraw) >= _options.Refresh))
                {
                    string view;
                    lock (gate)
                    {
                        view = Render(indented: false);
                    }

                    await _output.WriteAsync(_options.Format == ReportFormat.Text
                        ? (_outputIsTerminal ? ClearScreen : "\n") + view
                        : view).ConfigureAwait(false);
                    await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    changed = false;
                    drawn = true;
                    lastDraw = _time.GetTimestamp();
                }

                try
                {
                    await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var file in followed)
            {
                file.Dispose();
            }
        }
    }

    private void ReadStandardInput(LogInput input, LineSplitter lines, ILineConsumer reader)
    {
        try
        {
            lines.ReadAvailable(reader);
            lines.Finish(reader);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _error.WriteLine($"bouncer: report: {input.Name}: {e.Message}; the rest of it is left out");
        }
    }

    /// <summary>Reads an input to its current end. A damaged compressed file is reported and the rest of it left out, as a report of the readable part is still worth having.</summary>
    private async Task ReadToEndAsync(LogInput input, LineSplitter lines, ILineConsumer reader)
    {
        try
        {
            lines.ReadAvailable(reader);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            await _error.WriteLineAsync($"bouncer: report: {input.Name}: {e.Message}; the rest of it is left out").ConfigureAwait(false);
            lines.Reset();
        }
    }

    private string Render(bool indented) => _options.Format == ReportFormat.Json
        ? new JsonReportWriter(_options.TopClients, indented: indented && !_options.Follow).Render(_aggregator)
        : new TextReportRenderer(_options.TopClients).Render(_aggregator);

    /// <summary>Hands lines on under a lock, and remembers that some came.</summary>
    private sealed class LockedLineConsumer : ILineConsumer
    {
        private readonly ILineConsumer _inner;
        private readonly object _gate;
        private volatile bool _changed;

        public LockedLineConsumer(ILineConsumer inner, object gate)
        {
            _inner = inner;
            _gate = gate;
        }

        public void OnLine(ReadOnlySpan<byte> line)
        {
            lock (_gate)
            {
                _inner.OnLine(line);
            }

            _changed = true;
        }

        public void OnOverlongLine()
        {
            lock (_gate)
            {
                _inner.OnOverlongLine();
            }

            _changed = true;
        }

        public bool TakeChanged()
        {
            var changed = _changed;
            _changed = false;
            return changed;
        }
    }
}
