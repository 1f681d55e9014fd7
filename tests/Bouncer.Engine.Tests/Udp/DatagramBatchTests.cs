using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Udp;

namespace Bouncer.Engine.Tests.Udp;

public sealed class DatagramBatchTests
{
    private static readonly IPAddress Receiver = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Sender = IPAddress.Parse("127.0.0.5");

    [LinuxFact]
    public void Receive_takes_every_queued_datagram_with_its_sender_and_length()
    {
        using var receiver = Bound(Receiver);
        using var first = Bound(Sender);
        using var second = Bound(Sender);
        first.SendTo([1, 2, 3], receiver.LocalEndPoint!);
        first.SendTo([4], receiver.LocalEndPoint!);
        second.SendTo(new byte[65507], receiver.LocalEndPoint!);
        first.SendTo([], receiver.LocalEndPoint!);
        WaitQueued(receiver);
        var batch = new DatagramBatch();

        var received = batch.Receive(receiver);

        Assert.Equal(4, received);
        Assert.Equal(new byte[] { 1, 2, 3 }, batch.Payload(0).ToArray());
        Assert.Equal(new byte[] { 4 }, batch.Payload(1).ToArray());
        Assert.Equal(65507, batch.Length(2));
        Assert.Equal(0, batch.Length(3));
        Assert.Equal(first.LocalEndPoint, SenderOf(batch, 0));
        Assert.Equal(second.LocalEndPoint, SenderOf(batch, 2));
        Assert.Equal(2, batch.RunFromSameSender(0, received));
        Assert.Equal(1, batch.RunFromSameSender(2, received));
        Assert.Equal(0, batch.Receive(receiver));
    }

    [LinuxFact]
    public void Receive_takes_at_most_a_batch_and_leaves_the_rest_queued()
    {
        using var receiver = Bound(Receiver);
        using var sender = Bound(Sender);
        for (var i = 0; i < DatagramBatch.Capacity + 3; i++)
        {
            sender.SendTo([(byte)i], receiver.LocalEndPoint!);
        }

        WaitQueued(receiver);
        var batch = new DatagramBatch();

        Assert.Equal(DatagramBatch.Capacity, batch.Receive(receiver));
        Assert.Equal(DatagramBatch.Capacity, batch.RunFromSameSender(0, DatagramBatch.Capacity));
        Assert.Equal(3, batch.Receive(receiver));
        Assert.Equal(new byte[] { DatagramBatch.Capacity + 2 }, batch.Payload(2).ToArray());
    }

    [LinuxTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Send_delivers_a_range_of_the_batch_in_order_to_the_destination_or_the_connected_peer(bool segment)
    {
        using var receiver = Bound(Receiver);
        using var sender = Bound(Sender);
        using var relay = Bound(Receiver);
        for (var i = 0; i < 5; i++)
        {
            sender.SendTo([(byte)i, (byte)(i * 2)], relay.LocalEndPoint!);
        }

        WaitQueued(relay);
        var batch = new DatagramBatch();
        Assert.Equal(5, batch.Receive(relay));

        Assert.Equal(3, batch.Send(relay, ((IPEndPoint)receiver.LocalEndPoint!).Serialize(), 1, 3, Segmentation(segment)));
        relay.Connect(receiver.LocalEndPoint!);
        Assert.Equal(1, batch.Send(relay, null, 4, 1, Segmentation(segment)));

        var buffer = new byte[16];
        foreach (var expected in new byte[][] { [1, 2], [2, 4], [3, 6], [4, 8] })
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var length = receiver.ReceiveFrom(buffer, ref from);
            Assert.Equal(expected, buffer[..length]);
            Assert.Equal(relay.LocalEndPoint, from);
        }
    }

    /// <summary>
    /// Runs of equal datagrams, shorter ones that end a run, empty ones and runs longer than one
    /// IPv4 datagram can carry: with segmentation offload the receiver still gets each datagram
    /// as it was sent, in order, and the runs really went as runs.
    /// </summary>
    [LinuxTheory]
    [InlineData("127.0.0.2", false, new[] { 512, 512, 512, 100, 512, 512, 0, 7, 7, 1200, 1200, 1199, 5, 0, 0, 9 })]
    [InlineData("127.0.0.2", true, new[] { 512, 512, 512, 100, 512, 512, 0, 7, 7, 1200, 1200, 1199, 5, 0, 0, 9 })]
    [InlineData("::1", true, new[] { 512, 512, 512, 100, 512, 512, 0, 7, 7, 1200, 1200, 1199, 5, 0, 0, 9 })]
    [InlineData("127.0.0.2", true, new[] { 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000 })]
    [InlineData("127.0.0.2", true, new[] { 1, 2, 3, 4, 5 })]
    public void Send_keeps_every_datagram_whole_and_in_order_with_or_without_segmentation(string loopback, bool segment, int[] sizes)
    {
        var address = IPAddress.Parse(loopback);
        using var receiver = Bound(address);
        using var sender = Bound(address.AddressFamily == AddressFamily.InterNetwork ? Sender : address);
        using var relay = Bound(address);
        var sent = sizes.Select((size, n) => Enumerable.Range(0, size).Select(i => (byte)(n * 31 + i)).ToArray()).ToArray();
        foreach (var datagram in sent)
        {
            sender.SendTo(datagram, relay.LocalEndPoint!);
        }

        WaitQueued(relay);
        var batch = new DatagramBatch();
        Assert.Equal(sizes.Length, batch.Receive(relay));
        relay.Connect(receiver.LocalEndPoint!);

        var done = 0;
        while (done < sizes.Length)
        {
            done += batch.Send(relay, null, done, sizes.Length - done, Segmentation(segment));
        }

        var buffer = new byte[65536];
        foreach (var expected in sent)
        {
            Assert.True(receiver.Poll(5_000_000, SelectMode.SelectRead), "a datagram did not arrive");
            Assert.Equal(expected, buffer[..receiver.Receive(buffer)]);
        }

        Assert.False(receiver.Poll(100_000, SelectMode.SelectRead), "more datagrams arrived than were sent");
        var repeatsSize = sizes.Zip(sizes.Skip(1)).Any(pair => pair.First == pair.Second && pair.First > 0);
        Assert.Equal(segment && repeatsSize && DatagramBatch.SegmentationSupported, batch.SegmentedRuns > 0);
    }

    [LinuxFact]
    public void The_senders_of_a_batch_stay_readable_after_part_of_it_is_sent_on()
    {
        using var receiver = Bound(Receiver);
        using var sender = Bound(Sender);
        using var relay = Bound(Receiver);
        for (var i = 0; i < 4; i++)
        {
            sender.SendTo([(byte)i], relay.LocalEndPoint!);
        }

        WaitQueued(relay);
        var batch = new DatagramBatch();
        Assert.Equal(4, batch.Receive(relay));
        relay.Connect(receiver.LocalEndPoint!);

        Assert.Equal(2, batch.Send(relay, null, 1, 2, Segmentation(true)));

        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(sender.LocalEndPoint, SenderOf(batch, i)));
        Assert.Equal(4, batch.RunFromSameSender(0, 4));
    }

    [LinuxFact]
    public void A_connected_socket_reports_port_unreachable_from_its_peer_as_a_socket_error()
    {
        using var closed = Bound(Receiver);
        var deadEnd = closed.LocalEndPoint!;
        closed.Dispose();
        using var socket = Bound(Sender);
        socket.Connect(deadEnd);
        socket.Send([1]);
        var batch = new DatagramBatch();

        // The ICMP error arrives asynchronously; the next receive reports it once.
        var error = SpinUntilThrows(() => batch.Receive(socket));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [LinuxFact]
    public void A_closed_socket_throws_ObjectDisposedException()
    {
        var socket = Bound(Receiver);
        socket.Dispose();

        Assert.Throws<ObjectDisposedException>(() => new DatagramBatch().Receive(socket));
    }

    private static DatagramSegmentation Segmentation(bool enabled) =>
        new(enabled, message => throw new InvalidOperationException($"loopback refused a run: {message}"));

    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static IPEndPoint SenderOf(DatagramBatch batch, int index)
    {
        var address = new SocketAddress(AddressFamily.InterNetwork);
        batch.CopySender(index, address);
        return (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
    }

    /// <summary>
    /// Loopback queues a datagram within the sender's system call, in practice; this waits (bounded)
    /// for the first and lets the rest of the burst settle, so a receive sees them all.
    /// </summary>
    private static void WaitQueued(Socket socket)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!socket.Poll(0, SelectMode.SelectRead) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        Thread.Sleep(20);
    }

    private static SocketException SpinUntilThrows(Func<int> receive)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                receive();
            }
            catch (SocketException e)
            {
                return e;
            }

            Thread.Sleep(5);
        }

        throw new TimeoutException("no socket error within 10 s");
    }
}
