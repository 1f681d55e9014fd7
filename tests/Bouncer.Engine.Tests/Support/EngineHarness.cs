using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Tests.Support;

/// <summary>A started engine with recording sinks, stopped on dispose.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(BouncerEngine engine, RecordingSink events, RecordingLog log)
    {
        Engine = engine;
        Events = events;
        Log = log;
    }

    public BouncerEngine Engine { get; }

    public RecordingSink Events { get; }

    public RecordingLog Log { get; }

    public static async Task<EngineHarness> StartAsync(RuleTable table, INameResolver? resolver = null, EngineOptions? options = null, RecordingSink? events = null)
    {
        events ??= new RecordingSink();
        var log = new RecordingLog();
        var engine = new BouncerEngine(options ?? new EngineOptions(), events, log, resolver ?? new FakeResolver());
        try
        {
            await engine.StartAsync(table, CancellationToken.None);
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }

        return new EngineHarness(engine, events, log);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(TimeSpan.Zero, CancellationToken.None);
        await Engine.DisposeAsync();
    }
}
