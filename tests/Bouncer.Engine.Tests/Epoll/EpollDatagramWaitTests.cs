using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Epoll;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Udp;

namespace Bouncer.Engine.Tests.Epoll;

/// <summary>A UDP socket's wait on an epoll loop of the test's own transport, so its registrations can be counted.</summary>
public sealed class EpollDatagramWaitTests : IDisposable
{
    private static readonly IPAddress Local = IPAddress.Parse("127.0.0.2");

    private readonly EpollTcpTransport _transport = new(loops: 1);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _transport.Dispose();
        _timeout.Dispose();
    }

    [LinuxFact]
    public async Task A_datagram_wakes_the_wait_and_one_queued_before_it_began_is_not_missed()
    {
        using var socket = Bound();
        using var sender = Bound();
        sender.SendTo([1], socket.LocalEndPoint!);
        await WaitQueuedAsync(socket);
        using var wait = new EpollDatagramWait(socket, _transport.NextLoop());

        await wait.WaitAsync().AsTask().WaitAsync(_timeout.Token);
        Assert.Equal(1, socket.Receive(new byte[8]));

        var next = wait.WaitAsync().AsTask();
        sender.SendTo([2], socket.LocalEndPoint!);
        await next.WaitAsync(_timeout.Token);
        Assert.Equal(1, socket.Receive(new byte[8]));
    }

    [LinuxFact]
    public async Task Port_unreachable_wakes_the_wait_once_and_the_next_receive_reports_it()
    {
        using var socket = Bound();
        using var closed = Bound();
        var closedPort = closed.LocalEndPoint!;
        closed.Dispose();
        socket.Connect(closedPort);
        socket.Blocking = false;
        using var wait = new EpollDatagramWait(socket, _transport.NextLoop());
        var woken = wait.WaitAsync().AsTask();

        socket.Send([1]);
        await woken.WaitAsync(_timeout.Token);
        var failure = Assert.Throws<SocketException>(() => socket.Receive(new byte[8]));

        // Taken by that receive, the error is not an end: the next wait waits.
        Assert.Equal(SocketError.ConnectionRefused, failure.SocketErrorCode);
        Assert.False(wait.WaitAsync().IsCompleted);
    }

    [LinuxFact]
    public async Task Disposing_fails_a_pending_wait_and_frees_the_registration()
    {
        using var socket = Bound();
        var wait = new EpollDatagramWait(socket, _transport.NextLoop());
        var pending = wait.WaitAsync().AsTask();
        Assert.Equal(1, _transport.Registered);

        wait.Dispose();

        var failure = await Assert.ThrowsAsync<SocketException>(() => pending.WaitAsync(_timeout.Token));
        Assert.Equal(SocketError.OperationAborted, failure.SocketErrorCode);
        Assert.Equal(0, _transport.Registered);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(Local, 0));
        return socket;
    }

    private async Task WaitQueuedAsync(Socket socket)
    {
        while (socket.Available == 0)
        {
            await Task.Delay(1, _timeout.Token);
        }
    }
}
