using System.Collections.Concurrent;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Tests.Support;

internal sealed class RecordingLog : IEngineLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> Warnings => [.. _lines.Where(l => l.StartsWith("warning: ", StringComparison.Ordinal))];

    public void Info(string message) => _lines.Enqueue("info: " + message);

    public void Warning(string message) => _lines.Enqueue("warning: " + message);

    public void Error(string message) => _lines.Enqueue("error: " + message);
}
