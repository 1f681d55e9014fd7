using System.Net;
using System.Text;
using Bouncer.Cli.Logging;
using Bouncer.Engine.State;

namespace Bouncer.Cli.Status;

/// <summary>
/// <c>--status ADDRESS:PORT</c>: serves <c>/metrics</c> and the page <c>/</c>, and owns the
/// once-a-minute sampling that feeds the page's charts. Everything it shows is read from the
/// engine when asked (the state SIGUSR1 dumps); answers are made one at a time, so
/// however many clients ask, status work takes at most one thread from forwarding.
/// </summary>
internal sealed class StatusService : IAsyncDisposable
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMinutes(1);

    private readonly Func<EngineState> _capture;
    private readonly LogDropCounter _drops;
    private readonly Func<TimeSpan> _uptime;
    private readonly string _version;
    private readonly BouncerMetrics _metrics;
    private readonly SessionHistory _history = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly StatusServer _server;
    private readonly TimeProvider _time;
    private ReloadOutcome? _lastReload;
    private Task _sampling = Task.CompletedTask;

    private StatusService(IPEndPoint endpoint, Func<EngineState> capture, LogDropCounter drops, Func<TimeSpan> uptime, string version, TimeProvider time)
    {
        _time = time;
        _capture = capture;
        _drops = drops;
        _uptime = uptime;
        _version = version;
        using (var process = System.Diagnostics.Process.GetCurrentProcess())
        {
            _metrics = new BouncerMetrics(drops, process.StartTime.ToUniversalTime());
        }

        _server = StatusServer.Listen(endpoint, AnswerAsync, time);
    }

    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>Binds <paramref name="endpoint"/> (throws <see cref="System.Net.Sockets.SocketException"/> when it cannot) and starts serving.</summary>
    /// <param name="time">The daemon's clock: the chart's minutes, reload times, request deadlines.</param>
    public static StatusService Start(IPEndPoint endpoint, Func<EngineState> capture, LogDropCounter drops, Func<TimeSpan> uptime, string version, TimeProvider time)
    {
        var service = new StatusService(endpoint, capture, drops, uptime, version, time);
        service._history.Sample(capture().Rules);
        service._sampling = service.SampleAsync(service._stopping.Token);
        service._server.Start();
        return service;
    }

    /// <summary>A reload has finished; counts it and keeps it for the page.</summary>
    public void ReloadFinished(bool succeeded, TimeSpan duration, string summary)
    {
        _metrics.ReloadFinished(succeeded, duration);
        Volatile.Write(ref _lastReload, new ReloadOutcome(_time.GetUtcNow(), succeeded, duration, summary));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stopping.Dispose();
        _oneAtATime.Dispose();
    }

    private async Task<StatusResponse> AnswerAsync(string path, CancellationToken cancellationToken)
    {
        if (path is not ("/" or "/metrics"))
        {
            return StatusResponse.Text(404, "not found: the status endpoints are / and /metrics");
        }

        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = StatusSnapshot.Of(_capture());
            if (path == "/metrics")
            {
                var body = new PooledBody();
                try
                {
                    await _metrics.WriteAsync(snapshot, body, cancellationToken).ConfigureAwait(false);
                    return new StatusResponse(200, BouncerMetrics.ContentType, body);
                }
                catch
                {
                    await body.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }

            var page = StatusPage.Render(snapshot, _history, Volatile.Read(ref _lastReload), _version, _uptime(), _drops.Total);
            return new StatusResponse(200, "text/html; charset=utf-8", PooledBody.Of(Encoding.UTF8.GetBytes(page)));
        }
#pragma warning disable CA1031 // A status page must not take the daemon down; the client is told, the daemon goes on.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return StatusResponse.Text(500, $"internal error: {ex.Message}");
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Closes a minute of every rule's chart each <see cref="SampleInterval"/>.</summary>
    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SampleInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                _history.Sample(_capture().Rules);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
