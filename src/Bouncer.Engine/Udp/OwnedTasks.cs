using System.Collections.Concurrent;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The running loops one owner started (flow reply loops, receive loops, the sweep), so that
/// stopping can await every one of them. A finished task removes itself.
/// </summary>
internal sealed class OwnedTasks
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public int Count => _running.Count;

    public void Add(Task task)
    {
        _running.TryAdd(task, 0);
        task.ContinueWith(
            static (finished, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(finished, out _),
            _running,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Completes when every task added so far has finished; faults are observed, not rethrown.</summary>
    public async Task WhenAllAsync()
    {
        try
        {
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each loop reports its own failures; stopping only needs them to be over.
        }
    }
}
