using System.Collections.Concurrent;

namespace Bouncer.Engine.Udp;

/// <summary>
/// The running loops one owner started (flow reply loops, receive loops, the sweep), so that
/// stopping can await every one of them. A finished task removes itself.
/// </summary>
internal sealed class OwnedTasks
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly Action<Exception>? _onFault;

    /// <param name="onFault">Told of the exception a loop ended with: a loop ends on its own only by a bug.</param>
    public OwnedTasks(Action<Exception>? onFault = null) => _onFault = onFault;

    public int Count => _running.Count;

    public void Add(Task task)
    {
        _running.TryAdd(task, 0);
        task.ContinueWith(
            static (finished, state) =>
            {
                var owner = (OwnedTasks)state!;
                owner._running.TryRemove(finished, out _);
                if (finished.Exception?.InnerException is { } failure)
                {
                    owner._onFault?.Invoke(failure);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Completes when every task added so far has finished; faults are observed (and told at the time), not rethrown.</summary>
    public async Task WhenAllAsync()
    {
        try
        {
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Told to onFault when they happened; stopping only needs them to be over.
        }
    }
}
