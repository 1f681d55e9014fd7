using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bouncer.Cli.Health;

/// <summary>
/// Whether the Bouncer on this host serves: connects to one of its TCP listeners and waits for
/// Bouncer itself to answer. A completed connect alone proves nothing, since the kernel completes
/// the handshake from the listen backlog even while the process is stopped or stuck; only Bouncer
/// accepts, matches and then closes, resets or forwards. So the probe passes when, after the
/// connect, the connection ends (end of stream or a reset) or data arrives, within the timeout.
/// </summary>
/// <remarks>
/// Aimed at a <c>block</c> rule on a loopback address, which Bouncer answers with a reset at once
/// and without a target. Not at the virtual address: on the host that does not hold it, a connect
/// to it leaves the host and reaches the other Bouncer, which would make a dead local one look well.
/// </remarks>
internal static class HealthProbe
{
    /// <summary>The exit status for "not serving"; 0 is serving, 2 a usage error, as everywhere in Bouncer.</summary>
    public const int NotServing = 1;

    public static async Task<int> RunAsync(IPEndPoint endpoint, TimeSpan timeout, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        var (serving, message) = await ProbeAsync(endpoint, timeout, time, cancellationToken).ConfigureAwait(false);
        if (serving)
        {
            await output.WriteLineAsync(message).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        await error.WriteLineAsync(message).ConfigureAwait(false);
        return NotServing;
    }

    /// <summary>True and what answered, or false and why not; the whole probe takes at most <paramref name="timeout"/>.</summary>
    public static async Task<(bool Serving, string Message)> ProbeAsync(IPEndPoint endpoint, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var where = Describe(endpoint);
        var started = time.GetTimestamp();
        using var expiry = new CancellationTokenSource(timeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var connected = false;
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            connected = true;

            // One byte is enough: a block rule sends nothing, a forwarding rule may.
            var buffer = new byte[1];
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return (true, $"bouncer health: {where} answered in {Milliseconds(time.GetElapsedTime(started))} ms ({(received == 0 ? "closed" : "data")})");
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Also when the connect itself reports it: the reset came so soon after the handshake
            // that the connect's completion saw it. A port nobody listens on is "refused", not "reset".
            return (true, $"bouncer health: {where} answered in {Milliseconds(time.GetElapsedTime(started))} ms (reset)");
        }
        catch (SocketException exception)
        {
            var cause = exception.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused: nothing listens there (Bouncer is not running, or its rules have no listener there)",
                SocketError.AddressNotAvailable or SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"cannot reach it: {exception.Message}",
                _ => exception.Message,
            };
            return (false, $"bouncer health: {where} not serving: {cause}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var what = connected
                ? "connected, but Bouncer did not answer" // The kernel completed the handshake; the process did not act on it.
                : "no connection";
            return (false, $"bouncer health: {where} not serving: {what} within {timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms (stopped, stuck or overloaded)");
        }
    }

    private static string Describe(IPEndPoint endpoint) => endpoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{endpoint.Address}]:{endpoint.Port}"
        : $"{endpoint.Address}:{endpoint.Port}";

    private static string Milliseconds(TimeSpan elapsed) => elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
