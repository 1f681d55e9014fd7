using System.Net;
using System.Net.Sockets;
using System.Text;
using Bouncer.Engine.Epoll;
using Bouncer.Engine.Net;
using Bouncer.Engine.Tcp;
using Bouncer.Engine.Tests.Support;

namespace Bouncer.Engine.Tests.Epoll;

/// <summary>The epoll transport on its own, with a transport of the test's own so its registrations can be counted.</summary>
public sealed class EpollTcpTransportTests : IDisposable
{
    private readonly EpollTcpTransport _transport = new(loops: 2);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _transport.Dispose();
        _timeout.Dispose();
    }

    [Theory]
    [InlineData("127.0.0.2", 1)]
    [InlineData("127.1.2.3", 65535)]
    [InlineData("::1", 8080)]
    [InlineData("fe80::1%3", 443)]
    public void Socket_addresses_are_written_and_read_as_Linux_lays_them_out(string address, int port)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(address), port);
        Span<byte> buffer = stackalloc byte[28];

        var length = EpollCalls.WriteAddress(endpoint, buffer);

        Assert.Equal(endpoint.AddressFamily == AddressFamily.InterNetwork ? 16 : 28, length);
        var read = EpollCalls.ReadAddress(buffer[..length]);
        Assert.Equal(endpoint, read);
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Assert.Equal(endpoint.Address.ScopeId, read!.Address.ScopeId);
        }
    }

    [LinuxFact]
    public void Every_loop_waits_on_a_listener()
    {
        using var listener = Listen(IPAddress.Loopback);
        using var acceptor = _transport.Listen(listener);

        Assert.Equal(2, acceptor.Lanes);
        Assert.Equal(2, _transport.Registered);
    }

    [LinuxTheory]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    public async Task An_accepted_channel_knows_both_its_addresses_without_a_socket_object(string address)
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token, IPAddress.Parse(address));

        Assert.Equal(session.Peer.LocalEndPoint, session.Client.RemoteEndPoint);
        Assert.Equal(session.Peer.RemoteEndPoint, session.Client.LocalEndPoint);
        Assert.Equal(session.Registered, _transport.Registered);
    }

    [LinuxFact]
    public async Task Shutting_down_the_send_side_sends_a_FIN_and_still_receives()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);

        session.Client.ShutdownSend();

        Assert.Equal("eof", await TestNet.WaitForEndAsync(session.Peer, TimeSpan.FromSeconds(10)));
        await session.Peer.SendAsync(Encoding.ASCII.GetBytes("late"), SocketFlags.None, _timeout.Token);
        var buffer = new byte[16];
        var read = await session.Client.ReceiveAsync(buffer).AsTask().WaitAsync(_timeout.Token);
        Assert.Equal("late", Encoding.ASCII.GetString(buffer, 0, read));
    }

    [LinuxFact]
    public async Task Shutting_down_both_sides_sends_a_FIN_and_ends_a_pending_receive()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        var receiving = session.Client.ReceiveAsync(new byte[16]).AsTask();
        Assert.False(receiving.IsCompleted);

        session.Client.ShutdownBoth();

        Assert.Equal("eof", await TestNet.WaitForEndAsync(session.Peer, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await receiving.WaitAsync(_timeout.Token));
    }

    [LinuxFact]
    public async Task Disposing_an_accepted_channel_closes_with_a_FIN_and_frees_its_registration()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);

        session.Client.Dispose();

        Assert.Equal("eof", await TestNet.WaitForEndAsync(session.Peer, TimeSpan.FromSeconds(10)));
        Assert.True(session.Client.Handle.IsClosed);
        Assert.Equal(session.Registered - 1, _transport.Registered);
    }

    [LinuxFact]
    public async Task A_socket_object_made_for_options_sets_them_on_the_descriptor_and_closes_nothing_itself()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);

        var socket = session.Client.Socket;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        Assert.Same(socket, session.Client.Socket);
        Assert.Equal(session.Peer.LocalEndPoint, socket.RemoteEndPoint);
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);

        // Still open after the data path used it, and closed gracefully, once, by the channel.
        Assert.Equal(4, session.Client.Send(Encoding.ASCII.GetBytes("ping"), out _));
        Assert.Equal("ping", Encoding.ASCII.GetString(await TestNet.ReceiveExactlyAsync(session.Peer, 4, _timeout.Token)));
        session.Client.Dispose();

        Assert.Equal("eof", await TestNet.WaitForEndAsync(session.Peer, TimeSpan.FromSeconds(10)));
        Assert.True(session.Client.Handle.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive));
    }

    [LinuxFact]
    public async Task Disposing_the_acceptor_ends_a_pending_accept_and_frees_every_lane()
    {
        using var listener = Listen(IPAddress.Loopback);
        var acceptor = _transport.Listen(listener);
        var accepting = acceptor.AcceptAsync(0, _timeout.Token).AsTask();
        Assert.False(accepting.IsCompleted);

        acceptor.Dispose();

        var failure = await Assert.ThrowsAsync<SocketException>(() => accepting.WaitAsync(_timeout.Token));
        Assert.Equal(SocketError.OperationAborted, failure.SocketErrorCode);
        Assert.Equal(0, _transport.Registered);
    }

    [LinuxFact]
    public async Task Connects_reports_the_address_the_peer_sees_and_moves_data_both_ways()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);

        using var target = await Target.ConnectAsync(_transport, session, _timeout.Token);
        var (channel, peer) = (target.Channel, target.Peer);

        Assert.Equal(peer.RemoteEndPoint, target.Socket.LocalEndPoint);
        Assert.Equal(session.Registered + 1, _transport.Registered);
        await peer.SendAsync(Encoding.ASCII.GetBytes("ping"), SocketFlags.None, _timeout.Token);
        var buffer = new byte[16];
        var read = await channel.ReceiveAsync(buffer).AsTask().WaitAsync(_timeout.Token);
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, read));

        Assert.Equal(4, channel.Send(Encoding.ASCII.GetBytes("pong"), out var error));
        Assert.Equal(SocketError.Success, error);
        Assert.Equal("pong", Encoding.ASCII.GetString(await TestNet.ReceiveExactlyAsync(peer, 4, _timeout.Token)));
    }

    [LinuxFact]
    public async Task A_splice_pipe_moves_a_stream_from_the_client_to_the_target_byte_exact()
    {
        const int size = 4 * 1024 * 1024;
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        using var target = await Target.ConnectAsync(_transport, session, _timeout.Token);
        using var pipe = SplicePipe.TryOpen(session.Client, target.Channel, new DescriptorHeadroom(long.MaxValue));
        Assert.NotNull(pipe);

        var receiving = TestNet.ReceivePatternAsync(target.Peer, _timeout.Token);
        var sending = Task.Run(
            async () =>
            {
                await TestNet.SendPatternAsync(session.Peer, size, _timeout.Token);
                session.Peer.Shutdown(SocketShutdown.Send);
            },
            _timeout.Token);
        long moved = 0;
        int filled;
        while ((filled = pipe.Fill()) != 0)
        {
            if (filled < 0)
            {
                await pipe.WaitReadableAsync().AsTask().WaitAsync(_timeout.Token);
                continue;
            }

            moved += filled;
            while (pipe.Queued > 0)
            {
                if (pipe.Drain() < 0)
                {
                    await pipe.WaitWritableAsync().AsTask().WaitAsync(_timeout.Token);
                }
            }
        }

        target.Channel.ShutdownSend();
        await sending;
        Assert.Equal(size, moved);
        Assert.Equal(size, await receiving);
    }

    [LinuxFact]
    public async Task A_splice_pipe_is_not_opened_into_the_descriptor_reserve()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        using var target = await Target.ConnectAsync(_transport, session, _timeout.Token);

        // A limit of 8 keeps descriptors 6 and up in reserve: a test process has more open than that.
        Assert.Null(SplicePipe.TryOpen(session.Client, target.Channel, new DescriptorHeadroom(8)));
    }

    [LinuxFact]
    public async Task End_of_stream_that_came_with_the_last_data_is_not_missed()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        var channel = session.Client;

        // Data and FIN arrive together: one edge, and the read that takes the data leaves the FIN queued.
        await session.Peer.SendAsync(Encoding.ASCII.GetBytes("last"), SocketFlags.None, _timeout.Token);
        session.Peer.Shutdown(SocketShutdown.Send);
        await channel.WaitReadableAsync().AsTask().WaitAsync(_timeout.Token);
        var buffer = new byte[16];
        Assert.Equal(4, channel.Receive(buffer, out _));

        await channel.WaitReadableAsync().AsTask().WaitAsync(_timeout.Token);
        Assert.Equal(0, channel.Receive(buffer, out var error));
        Assert.Equal(SocketError.Success, error);
    }

    [LinuxFact]
    public async Task A_refused_connect_throws_and_leaves_nothing_registered()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        var closedPort = TestNet.FreeEndPoint(IPAddress.Loopback);
        using var socket = _transport.Open(AddressFamily.InterNetwork);

        var failure = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(_transport, socket, closedPort, session.Client, _timeout.Token));

        Assert.Equal(SocketError.ConnectionRefused, failure.SocketErrorCode);
        Assert.Equal(session.Registered, _transport.Registered);
    }

    [LinuxFact]
    public async Task A_cancelled_connect_throws_OperationCanceled_and_leaves_nothing_registered()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);

        using var silent = await SilentListener.StartAsync();
        using var socket = _transport.Open(AddressFamily.InterNetwork);
        using var cancel = new CancellationTokenSource();
        var connecting = ConnectAsync(_transport, socket, silent.EndPoint, session.Client, cancel.Token);
        Assert.False(connecting.IsCompleted);
        Assert.Equal(session.Registered + 1, _transport.Registered);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(_timeout.Token));
        Assert.Equal(session.Registered, _transport.Registered);
    }

    [LinuxFact]
    public async Task Closing_a_channel_fails_its_pending_wait_and_frees_its_registration()
    {
        await using var session = await Session.StartAsync(_transport, _timeout.Token);
        var before = _transport.Registered;
        var waiting = session.Client.WaitReadableAsync().AsTask();

        session.Client.Reset();

        var failure = await Assert.ThrowsAsync<SocketException>(() => waiting.WaitAsync(_timeout.Token));
        Assert.Equal(SocketError.OperationAborted, failure.SocketErrorCode);
        Assert.Equal(before - 1, _transport.Registered);
        Assert.Equal("reset", await TestNet.WaitForEndAsync(session.Peer, TimeSpan.FromSeconds(10)));
        Assert.True(session.Client.Handle.IsClosed);
    }

    /// <summary>Both steps of a connect, as the connector takes them: the wait only when the connect is under way.</summary>
    private static async Task<TcpChannel> ConnectAsync(EpollTcpTransport transport, OutgoingTcpSocket socket, IPEndPoint target, TcpChannel client, CancellationToken cancellationToken) =>
        transport.StartConnect(socket, target, client) ?? await transport.FinishConnectAsync(socket, target, client, cancellationToken);

    private static Socket Listen(IPAddress address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(16);
        return listener;
    }

    /// <summary>A client accepted through the transport's own listener: the session a target is connected for.</summary>
    /// <summary>A session's target: a listener, the outgoing channel connected to it, and the listener's end of that connection.</summary>
    private sealed class Target : IDisposable
    {
        private readonly Socket _listener;

        private Target(Socket listener, OutgoingTcpSocket socket, TcpChannel channel, Socket peer)
        {
            _listener = listener;
            Socket = socket;
            Channel = channel;
            Peer = peer;
        }

        public OutgoingTcpSocket Socket { get; }

        public TcpChannel Channel { get; }

        public Socket Peer { get; }

        public static async Task<Target> ConnectAsync(EpollTcpTransport transport, Session session, CancellationToken cancellationToken)
        {
            var listener = Listen(IPAddress.Loopback);
            var socket = transport.Open(AddressFamily.InterNetwork);
            var channel = await EpollTcpTransportTests.ConnectAsync(transport, socket, (IPEndPoint)listener.LocalEndPoint!, session.Client, cancellationToken);
            var peer = await listener.AcceptAsync(cancellationToken);
            return new Target(listener, socket, channel, peer);
        }

        public void Dispose()
        {
            Peer.Dispose();
            Channel.Dispose();
            Socket.Dispose();
            _listener.Dispose();
        }
    }

    private sealed class Session : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly TcpAcceptor _acceptor;

        private Session(Socket listener, TcpAcceptor acceptor, Socket peer, TcpChannel client, int registered)
        {
            _listener = listener;
            _acceptor = acceptor;
            Peer = peer;
            Client = client;
            Registered = registered;
        }

        /// <summary>The test's end of the client connection.</summary>
        public Socket Peer { get; }

        public TcpChannel Client { get; }

        /// <summary>Registrations with the session open: the listener's lanes and the client.</summary>
        public int Registered { get; }

        public static async Task<Session> StartAsync(EpollTcpTransport transport, CancellationToken cancellationToken, IPAddress? address = null)
        {
            var listener = Listen(address ?? IPAddress.Loopback);
            var acceptor = transport.Listen(listener);
            var peer = await TestNet.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, cancellationToken: cancellationToken);
            var client = await acceptor.AcceptAsync(0, cancellationToken);
            return new Session(listener, acceptor, peer, client, transport.Registered);
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            Peer.Dispose();
            _acceptor.Dispose();
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
