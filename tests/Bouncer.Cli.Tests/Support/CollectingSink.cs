using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Bouncer.Cli.Tests.Support;

/// <summary>Keeps every event a logger emits.</summary>
internal sealed class CollectingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
}
