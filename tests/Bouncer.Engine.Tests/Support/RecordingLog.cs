using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Tests.Support;

/// <summary>Collects the engine's log lines; tests wait (bounded) for the ones they expect, woken by each new line.</summary>
internal sealed class RecordingLog : IEngineLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ChangeSignal _written = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> Warnings => [.. _lines.Where(l => l.StartsWith("warning: ", StringComparison.Ordinal))];

    public void Info(string message) => Write("info: " + message);

    public void Warning(string message) => Write("warning: " + message);

    public void Error(string message) => Write("error: " + message);

    /// <summary>Waits until <paramref name="count"/> lines have been written; throws after <paramref name="timeout"/>.</summary>
    public async Task WaitForLinesAsync(int count, TimeSpan timeout)
    {
        if (!await _written.WaitUntilAsync(() => _lines.Count >= count, timeout))
        {
            throw new TimeoutException($"expected {count} log lines, got: {string.Join("; ", _lines)}");
        }
    }

    private void Write(string line)
    {
        _lines.Enqueue(line);
        _written.Pulse();
    }
}
