using Serilog;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Owns the current <see cref="LogPipeline"/> and replaces it in one step. Writers read
/// <see cref="Current"/> per event, so after <see cref="Replace"/> every new event goes to the new
/// files; the old pipeline is disposed afterwards (an event racing the swap may be dropped by the
/// closed sink, which Serilog reports to SelfLog rather than throwing).
/// </summary>
public sealed class LogPipelineHost : IDisposable
{
    private readonly bool _publishGlobal;
    private LogPipeline _current;

    /// <param name="initial">The first pipeline; the host owns it from now on.</param>
    /// <param name="publishGlobal">Also make it Serilog's static <see cref="Log.Logger"/> (the daemon does; tests do not).</param>
    public LogPipelineHost(LogPipeline initial, bool publishGlobal)
    {
        _current = initial;
        _publishGlobal = publishGlobal;
        if (publishGlobal)
        {
            Log.Logger = initial.Logger;
        }
    }

    public LogPipeline Current => Volatile.Read(ref _current);

    public void Replace(LogPipeline next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        if (_publishGlobal)
        {
            Log.Logger = next.Logger;
        }

        if (!ReferenceEquals(previous, next))
        {
            previous.Dispose();
        }
    }

    public void Dispose()
    {
        if (_publishGlobal)
        {
            Log.Logger = Serilog.Core.Logger.None;
        }

        Current.Dispose();
    }
}
