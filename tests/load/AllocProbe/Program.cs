// Reads the runtime's GC counters from a running .NET process over EventPipe, as dotnet-counters
// does (that tool is not available from the package feed here), and prints one summary line:
//   ALLOC allocated_bytes=N intervals=N gen0_gcs=N max_heap_mb=N
// Usage: AllocProbe PID SECONDS
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

if (args.Length != 2
    || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var pid)
    || !double.TryParse(args[1], CultureInfo.InvariantCulture, out var seconds)
    || seconds is <= 0 or > 600)
{
    Console.Error.WriteLine("usage: AllocProbe PID SECONDS");
    return 2;
}

var provider = new EventPipeProvider(
    "System.Runtime",
    EventLevel.Informational,
    keywords: -1,
    arguments: new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
using var session = new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false);
using var source = new EventPipeEventSource(session.EventStream);

double allocated = 0;
double gen0 = 0;
double maxHeapMb = 0;
var intervals = 0;
source.Dynamic.All += e =>
{
    if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> outer
        || outer["Payload"] is not IDictionary<string, object> counter)
    {
        return;
    }

    switch (counter["Name"] as string)
    {
        case "alloc-rate":
            allocated += Convert.ToDouble(counter["Increment"], CultureInfo.InvariantCulture);
            intervals++;
            break;
        case "gen-0-gc-count":
            gen0 += Convert.ToDouble(counter["Increment"], CultureInfo.InvariantCulture);
            break;
        case "gc-heap-size":
            maxHeapMb = Math.Max(maxHeapMb, Convert.ToDouble(counter["Mean"], CultureInfo.InvariantCulture));
            break;
        default:
            break;
    }
};

// The session ends after SECONDS; Process() returns once the stream closes.
var stop = Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
    session.Stop();
});
source.Process();
await stop.ConfigureAwait(false);
Console.WriteLine(FormattableString.Invariant(
    $"ALLOC allocated_bytes={allocated:F0} intervals={intervals} gen0_gcs={gen0:F0} max_heap_mb={maxHeapMb:F1}"));
return 0;
