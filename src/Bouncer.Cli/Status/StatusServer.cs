using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Engine.Net;

namespace Bouncer.Cli.Status;

/// <summary>
/// A minimal read-only HTTP/1.1 server for the status endpoints, on a socket of its own bound to
/// exactly the <c>--status</c> address. One request per connection, then close.
/// </summary>
/// <remarks>
/// prometheus-net's MetricServer is not used: it is built on HttpListener, which has no bound on
/// connections, no limit on header bytes that can be set, and no deadline for a client that sends
/// a byte now and then (slowloris), and could not keep the promise that a hostile client holds
/// neither memory nor forwarding. Here every connection has <see cref="RequestDeadline"/> for the
/// whole exchange, a request may be at most <see cref="MaxRequestBytes"/>, and at most
/// <see cref="MaxConnections"/> are open: a new one closes the oldest, so a flood of idle
/// connections cannot lock a scraper out and holds a fixed amount of memory. The daemon's socket
/// continuations run on the epoll threads (InlineSocketCompletions), so reading a request does no
/// more than copy bytes there, and answering it moves to the thread pool.
/// </remarks>
internal sealed class StatusServer : IAsyncDisposable
{
    public const int MaxConnections = 32;
    public const int MaxRequestBytes = 8192;
    public static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(5);

    private const int Backlog = 64;
    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly Socket _listener;
    private readonly Func<string, CancellationToken, Task<StatusResponse>> _answer;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly LinkedList<Connection> _open = new();
    private Task _acceptLoop = Task.CompletedTask;

    private StatusServer(Socket listener, Func<string, CancellationToken, Task<StatusResponse>> answer, TimeProvider time)
    {
        _listener = listener;
        _answer = answer;
        _time = time;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Binds and listens on <paramref name="endpoint"/>; throws <see cref="SocketException"/> when it cannot.</summary>
    /// <param name="answer">Answers a GET for a path (the query string removed); runs on the thread pool.</param>
    /// <param name="time">The clock of the request deadlines and of the accept loop's back-off.</param>
    public static StatusServer Listen(IPEndPoint endpoint, Func<string, CancellationToken, Task<StatusResponse>> answer, TimeProvider time)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] means IPv6 only, as written; IPv4 clients need their own address.
                socket.DualMode = false;
            }

            AddressReuse.Enable(socket);
            socket.Bind(endpoint);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new StatusServer(socket, answer, time);
    }

    public void Start() => _acceptLoop = AcceptLoopAsync(_stopping.Token);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] serving;
        lock (_lock)
        {
            serving = [.. _open.Select(c => c.Serving)];
            foreach (var connection in _open)
            {
                connection.Close();
            }
        }

        await Task.WhenAll(serving).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors, or a connection reset before it was taken: wait a little
                // rather than spin, and go on.
                try
                {
                    await Task.Delay(s_acceptRetryDelay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Admit(client, cancellationToken);
        }
    }

    /// <summary>Starts serving <paramref name="client"/>, closing the oldest connection when all places are taken.</summary>
    private void Admit(Socket client, CancellationToken stopping)
    {
        client.NoDelay = true;
        var connection = new Connection(client, stopping, _time);
        lock (_lock)
        {
            if (_open.Count >= MaxConnections && _open.First is { } oldest)
            {
                _open.Remove(oldest);
                oldest.Value.Close();
            }

            connection.Node = _open.AddLast(connection);
        }

        connection.Serving = ServeAsync(connection);
    }

    private async Task ServeAsync(Connection connection)
    {
        try
        {
            var response = await ReadRequestAsync(connection).ConfigureAwait(false);
            if (response.Path is { } path)
            {
                // Off the epoll thread this continuation may be running on.
                using var answer = await Task.Run(() => _answer(path, connection.Deadline), connection.Deadline).ConfigureAwait(false);
                await SendAsync(connection, answer, response.HeadOnly).ConfigureAwait(false);
            }
            else if (response.Error is { } error)
            {
                using (error)
                {
                    await SendAsync(connection, error, headOnly: false).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // Deadline passed, closed for a newer connection, the client went away, or stopping.
        }
#pragma warning disable CA1031 // One status connection must not take the daemon down, whatever went wrong with it.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The connection is closed below; the next request starts afresh.
        }
        finally
        {
            lock (_lock)
            {
                if (connection.Node?.List is not null)
                {
                    _open.Remove(connection.Node);
                }
            }

            connection.Close();
        }
    }

    /// <summary>Reads up to the blank line that ends the request head; the body of a GET is never read.</summary>
    private static async Task<ParsedRequest> ReadRequestAsync(Connection connection)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxRequestBytes);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == MaxRequestBytes)
                {
                    return ParsedRequest.Failed(StatusResponse.Text(431, "request header too large"));
                }

                var read = await connection.Socket.ReceiveAsync(buffer.AsMemory(length, MaxRequestBytes - length), SocketFlags.None, connection.Deadline).ConfigureAwait(false);
                if (read == 0)
                {
                    return ParsedRequest.Failed(null);
                }

                var scanFrom = Math.Max(0, length - 3);
                length += read;
                if (HeadEnd(buffer.AsSpan(scanFrom, length - scanFrom)) >= 0)
                {
                    return Parse(buffer.AsSpan(0, length));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int HeadEnd(ReadOnlySpan<byte> bytes)
    {
        var crlf = bytes.IndexOf("\r\n\r\n"u8);
        return crlf >= 0 ? crlf : bytes.IndexOf("\n\n"u8);
    }

    private static ParsedRequest Parse(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf((byte)'\n');
        var line = Encoding.ASCII.GetString(head[..lineEnd]).TrimEnd('\r');
        var parts = line.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !parts[1].StartsWith('/'))
        {
            return ParsedRequest.Failed(StatusResponse.Text(400, "bad request"));
        }

        if (parts[0] is not ("GET" or "HEAD"))
        {
            return ParsedRequest.Failed(StatusResponse.Text(405, "only GET and HEAD: the status endpoints are read-only"));
        }

        var path = parts[1];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return new ParsedRequest(query >= 0 ? path[..query] : path, parts[0] == "HEAD", null);
    }

    private static async Task SendAsync(Connection connection, StatusResponse response, bool headOnly)
    {
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(Reason(response.Status)).Append("\r\n")
            .Append("Content-Type: ").Append(response.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(response.Body.Length).Append("\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n")
            .Append("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n")
            .Append(response.Status == 405 ? "Allow: GET, HEAD\r\n" : string.Empty)
            .Append("Connection: close\r\n\r\n")
            .ToString();
        var socket = connection.Socket;
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, connection.Deadline).ConfigureAwait(false);
        if (!headOnly)
        {
            foreach (var chunk in response.Body.Chunks)
            {
                await socket.SendAsync(chunk, SocketFlags.None, connection.Deadline).ConfigureAwait(false);
            }
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };

    /// <summary>The path of a well-formed GET or HEAD, or the error to send (null: the client left).</summary>
    private sealed record ParsedRequest(string? Path, bool HeadOnly, StatusResponse? Error)
    {
        public static ParsedRequest Failed(StatusResponse? error) => new(null, false, error);
    }

    /// <summary>One accepted client: its socket and the deadline for the whole exchange.</summary>
    private sealed class Connection
    {
        private readonly CancellationTokenSource _deadline;
        private readonly CancellationTokenRegistration _stop;
        private int _closed;

        public Connection(Socket socket, CancellationToken stopping, TimeProvider time)
        {
            Socket = socket;

            // The deadline on the server's clock, cancelled by the server's stop too (as a linked source would be).
            _deadline = new CancellationTokenSource(RequestDeadline, time);
            _stop = stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _deadline);
            Deadline = _deadline.Token;
        }

        public Socket Socket { get; }

        public CancellationToken Deadline { get; }

        public LinkedListNode<Connection>? Node { get; set; }

        public Task Serving { get; set; } = Task.CompletedTask;

        /// <summary>Ends the exchange: pending reads and writes fail, the socket closes. Safe to call twice.</summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            try
            {
                _deadline.Cancel();
            }
            catch (AggregateException)
            {
                // A registration threw; the socket is closed below anyway.
            }

            Socket.Dispose();
            _stop.Dispose();
            _deadline.Dispose();
        }
    }
}
