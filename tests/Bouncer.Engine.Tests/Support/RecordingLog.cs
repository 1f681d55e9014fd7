using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Collects the engine's log lines; tests wait (bounded) for the ones they expect, woken by each new line.</summary>
internal sealed class RecordingLog : IEngineLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> Warnings => [.. _lines.Where(l => l.StartsWith("warning: ", StringComparison.Ordinal))];

    public void Info(string message) => Write("info: " + message);

    public void Warning(string message) => Write("warning: " + message);

    public void Error(string message) => Write("error: " + message);

    /// <summary>Waits until <paramref name="count"/> lines have been written; throws after <paramref name="timeout"/>.</summary>
    public async Task WaitForLinesAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task written;
            lock (_gate)
            {
                written = _written.Task;
            }

            if (_lines.Count >= count)
            {
                return;
            }

            try
            {
                await written.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"expected {count} log lines, got: {string.Join("; ", _lines)}");
            }
        }
    }

    private void Write(string line)
    {
        _lines.Enqueue(line);
        TaskCompletionSource written;
        lock (_gate)
        {
            written = _written;
            _written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        written.SetResult();
    }
}
