namespace Bouncer.Engine.Tests.Support;

/// <summary>
/// Wakes waiters whenever what they watch changes, so a test waits for a condition without
/// polling on a timer: each <see cref="Pulse"/> completes the current wait and arms the next.
/// </summary>
internal sealed class ChangeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = New();

    /// <summary>Completes at the next <see cref="Pulse"/>.</summary>
    public Task Next
    {
        get
        {
            lock (_gate)
            {
                return _next.Task;
            }
        }
    }

    public void Pulse()
    {
        TaskCompletionSource current;
        lock (_gate)
        {
            current = _next;
            _next = New();
        }

        current.SetResult();
    }

    /// <summary>True once <paramref name="condition"/> holds, rechecked at every pulse; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            // Taken before the check, so a pulse in between is not missed.
            var next = Next;
            if (condition())
            {
                return true;
            }

            try
            {
                await next.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return condition();
            }
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
