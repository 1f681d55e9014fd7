using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Net;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.Tcp;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests.Tcp;

/// <summary>
/// An accept loop whose accept fails the way it does out of descriptors (EMFILE arrives as
/// TooManyOpenSockets): the loop must neither stop nor spin, must say so once, and must serve the
/// client that waited in the listen queue once accepting works again.
/// </summary>
public sealed class AcceptLoopResourceLimitTests
{
    private const int Failures = 50;

    [Fact(Timeout = 30_000)]
    public async Task Out_of_descriptors_it_waits_after_every_failure_logs_once_and_then_serves_the_waiting_client()
    {
        var log = new RecordingLog();
        var attempts = 0;
        var pauses = new List<TimeSpan>();
        var endpoint = await EchoThroughQueuedClientAsync(
            log,
            "after the limit",
            accept: (acceptor, lane, cancellationToken) => Interlocked.Increment(ref attempts) <= Failures
                ? ValueTask.FromException<TcpChannel>(new SocketException((int)SocketError.TooManyOpenSockets))
                : acceptor.AcceptAsync(lane, cancellationToken),
            pause: (delay, _) =>
            {
                lock (pauses)
                {
                    pauses.Add(delay);
                }

                return Task.CompletedTask;
            });

        // Every failure waited before the next try (no spinning), with the back-off meant for it.
        Assert.Equal(Failures, pauses.Count);
        Assert.All(pauses, delay => Assert.Equal(TcpAcceptLoop.ResourceBackoff, delay));
        // Each lane (one per waiting thread) tries once more after the failures, and one of them takes the client.
        Assert.InRange(attempts, Failures + 1, Failures + (2 * Environment.ProcessorCount));

        // One line for all fifty, not one each; nothing else went wrong.
        var notice = Assert.Single(log.Warnings);
        Assert.Equal($"warning: local resource limit while accepting on tcp {endpoint}: Too many open files; service resumes by itself once sessions end and free descriptors", notice);
        Assert.DoesNotContain(log.Lines, line => line.StartsWith("error: ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_accept_that_fails_unexpectedly_is_logged_waited_on_and_retried()
    {
        var log = new RecordingLog();
        var attempts = 0;
        var pauses = 0;
        var endpoint = await EchoThroughQueuedClientAsync(
            log,
            "still here",
            accept: (acceptor, lane, cancellationToken) => Interlocked.Increment(ref attempts) <= 3
                ? ValueTask.FromException<TcpChannel>(new InvalidOperationException("a bug in accepting"))
                : acceptor.AcceptAsync(lane, cancellationToken),
            pause: (_, _) =>
            {
                Interlocked.Increment(ref pauses);
                return Task.CompletedTask;
            });

        Assert.Equal(3, pauses);
        var notice = Assert.Single(log.Warnings);
        Assert.StartsWith($"warning: accept on tcp {endpoint} failed unexpectedly, retrying: System.InvalidOperationException: a bug in accepting", notice, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_accepted_into_the_descriptor_reserve_is_closed_and_counts_as_out_of_descriptors()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var table = Table(Pass(1, listen, target.EndPoint));
        var log = new RecordingLog();
        using var stopping = new CancellationTokenSource();

        // A limit of one descriptor: every socket the process opens is in the reserve.
        var services = Services(table, log, stopping.Token) with { Descriptors = new DescriptorHeadroom(limit: 1) };
        var listener = table.Listeners.Single();
        var pauses = 0;
        var loop = new TcpAcceptLoop(
            listener.Key,
            ListenerSocketFactory.Bind(listener),
            services,
            new TcpConnector(services.Warnings, services.Descriptors, keepAlive: true, services.Time, services.Transport),
            pause: (_, _) =>
            {
                Interlocked.Increment(ref pauses);
                return Task.CompletedTask;
            });

        using var client = await TestNet.ConnectAsync(listen);
        loop.Start();
        try
        {
            Assert.NotEqual("open", await TestNet.WaitForEndAsync(client, TimeSpan.FromSeconds(20)));
        }
        finally
        {
            await loop.StopAsync();
        }

        Assert.True(pauses >= 1);
        Assert.Equal(0, target.Accepted);
        Assert.Contains(log.Warnings, line => line.Contains("local resource limit while accepting on tcp", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(256, 32, 223, 224)]
    [InlineData(40, 10, 29, 30)]
    [InlineData(1, 0, 0, 1)]
    public void The_reserve_is_the_top_of_the_limit_at_most_32_and_a_quarter(long limit, int reserve, long lastFree, long firstReserved)
    {
        var headroom = new DescriptorHeadroom(limit);

        Assert.Equal(reserve, headroom.Reserve);
        Assert.False(headroom.IsReserved(lastFree));
        Assert.True(headroom.IsReserved(firstReserved));
    }

    [Fact]
    public void Without_a_limit_nothing_is_reserved()
    {
        var headroom = new DescriptorHeadroom(long.MaxValue);

        Assert.Equal(0, headroom.Reserve);
        Assert.False(headroom.IsReserved(int.MaxValue));
    }

    [Theory]
    [InlineData(SocketError.TooManyOpenSockets, "Too many open files")]
    [InlineData(SocketError.NoBufferSpaceAvailable, "No buffer space available")]
    public void Running_out_of_descriptors_or_buffers_is_a_resource_limit_not_an_error_of_the_peer(SocketError error, string detail)
    {
        var failure = SocketErrorClassifier.Classify(new SocketException((int)error));

        Assert.Equal(FailureKind.ResourceLimit, failure.Kind);
        Assert.Equal(detail, failure.Detail);
    }

    /// <summary>
    /// Runs an accept loop for one pass rule to an echo target, with its accept call and back-off
    /// replaced, after a client has queued in the listen backlog; checks that the client's
    /// <paramref name="message"/> comes back through it, then stops everything. Returns the listener's endpoint.
    /// </summary>
    private static async Task<ListenEndpoint> EchoThroughQueuedClientAsync(
        RecordingLog log,
        string message,
        Func<TcpAcceptor, int, CancellationToken, ValueTask<TcpChannel>> accept,
        Func<TimeSpan, CancellationToken, Task> pause)
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        var table = Table(Pass(1, listen, target.EndPoint));
        using var stopping = new CancellationTokenSource();
        var services = Services(table, log, stopping.Token);
        var listener = table.Listeners.Single();
        var loop = new TcpAcceptLoop(
            listener.Key,
            ListenerSocketFactory.Bind(listener),
            services,
            new TcpConnector(services.Warnings, services.Descriptors, keepAlive: true, services.Time, services.Transport),
            accept,
            pause);

        // The client is in the listen queue before the loop runs into the failures.
        using var client = await TestNet.ConnectAsync(listen);
        loop.Start();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await TestNet.SendAllAsync(client, Encoding.ASCII.GetBytes(message), timeout.Token);
            var echoed = await TestNet.ReceiveExactlyAsync(client, message.Length, timeout.Token);
            Assert.Equal(message, Encoding.ASCII.GetString(echoed));
        }
        finally
        {
            await loop.StopAsync();
            await stopping.CancelAsync();
            services.Tracker.TerminateAll(EndReason.AdministrativeTermination);
            await services.Tracker.WaitAllAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        return listener.Key.Endpoint;
    }

    private static EngineServices Services(RuleTable table, RecordingLog log, CancellationToken stopping)
    {
        var options = new EngineOptions();
        var resolver = new FakeResolver();
        var snapshot = new ListenerSnapshot(table, ImmutableDictionary<ListenerKey, IListenerService>.Empty);
        return new EngineServices(
            options,
            () => snapshot,
            new RuleMatcher(resolver),
            resolver,
            new LimitRegistry(options.Time),
            new SessionEventPublisher(new RecordingSink(), log, options.Debug),
            new SessionTracker(log, options.Time),
            new RateLimitedLog(log, TimeSpan.FromMinutes(10), options.Time),
            stopping);
    }
}
