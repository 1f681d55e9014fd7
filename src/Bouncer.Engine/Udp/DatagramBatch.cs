using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bouncer.Engine.Net;

namespace Bouncer.Engine.Udp;

/// <summary>
/// Up to <see cref="Capacity"/> datagrams received or sent with one system call: Linux's recvmmsg
/// and sendmmsg. Under load the relay's cost is mostly system calls, and <see cref="Socket"/> makes
/// one per datagram; with a batch, a listener takes every queued client datagram in one call, and
/// a flow takes its queued replies in one call and sends them all to its client in another.
/// </summary>
/// <remarks>
/// .NET has no batched datagram API and no maintained package binds these two calls, so they are
/// declared here. They exist on Linux only; elsewhere <see cref="IsSupported"/> is false and the
/// relay goes through <see cref="Socket"/> one datagram at a time. Both calls run non-blocking
/// (MSG_DONTWAIT) on sockets that Socket's async engine also waits on, which only ever sees
/// readiness, so taking datagrams behind its back is safe: its next receive finds the queue empty
/// and waits as usual.
/// <para>
/// All memory is pinned and reused: the payload slots (64 KiB each, since any datagram must pass
/// whole), the sender addresses, and the kernel's headers. Batches are rented from
/// <see cref="DatagramBatchPool"/> for one wake-up, so idle sockets hold none.
/// </para>
/// </remarks>
internal sealed unsafe partial class DatagramBatch
{
    /// <summary>Datagrams per system call. More gains little: at 16, the call is already a sixteenth per datagram.</summary>
    public const int Capacity = 16;

    /// <summary>
    /// Batches a socket takes per wake-up at most. Completions run on the epoll thread, so a
    /// socket that always has more queued (a flood) would otherwise keep the thread from every
    /// other socket it serves; after this many it yields.
    /// </summary>
    public const int MaxPerWakeUp = 16;

    private const int SlotSize = UdpSockets.DatagramBufferSize;
    private const int AddressSize = 128; // sizeof(struct sockaddr_storage)
    private const int MessageDontWait = 0x40;

    private readonly byte[] _payloads = GC.AllocateUninitializedArray<byte>(Capacity * SlotSize, pinned: true);
    private readonly byte[] _addresses = GC.AllocateArray<byte>((Capacity + 1) * AddressSize, pinned: true);
    private readonly IoVector[] _vectors = GC.AllocateArray<IoVector>(Capacity, pinned: true);
    private readonly MultiMessageHeader[] _headers = GC.AllocateArray<MultiMessageHeader>(Capacity, pinned: true);
    private readonly int[] _lengths = new int[Capacity];

    // Kept apart from the headers, which a send rewrites: a listener goes on reading the senders
    // of a batch after sending part of it on to a flow's target.
    private readonly int[] _senderLengths = new int[Capacity];

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>The payload of datagram <paramref name="index"/> of the last receive.</summary>
    public Memory<byte> Payload(int index) => _payloads.AsMemory(index * SlotSize, _lengths[index]);

    /// <summary>The length of datagram <paramref name="index"/> of the last receive.</summary>
    public int Length(int index) => _lengths[index];

    /// <summary>Copies the sender of datagram <paramref name="index"/> of the last receive into <paramref name="sender"/>.</summary>
    public void CopySender(int index, SocketAddress sender)
    {
        var source = Sender(index);
        source.CopyTo(sender.Buffer.Span);
        sender.Size = source.Length;
    }

    /// <summary>How many datagrams from <paramref name="start"/> on (up to <paramref name="end"/>) came from the same sender, one after another.</summary>
    public int RunFromSameSender(int start, int end)
    {
        var sender = Sender(start);
        var next = start + 1;
        while (next < end && Sender(next).SequenceEqual(sender))
        {
            next++;
        }

        return next - start;
    }

    /// <summary>
    /// Takes up to <see cref="Capacity"/> datagrams that are queued on <paramref name="socket"/> now,
    /// without waiting. Returns how many (0 when none is queued).
    /// </summary>
    /// <exception cref="SocketException">The receive failed (on a connected socket, an ICMP error about an earlier send).</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public int Receive(Socket socket)
    {
        for (var i = 0; i < Capacity; i++)
        {
            Prepare(i, AddressAt(i), AddressSize, SlotSize);
        }

        var received = Call(socket, &ReceiveQueued, 0, Capacity);
        for (var i = 0; i < received; i++)
        {
            _lengths[i] = (int)_headers[i].Length;
            _senderLengths[i] = (int)_headers[i].Header.NameLength;
        }

        return received;
    }

    /// <summary>
    /// Sends datagrams <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1
    /// of the last receive to <paramref name="destination"/> (null: the peer of a connected socket) through <paramref name="socket"/>, without
    /// waiting. Returns how many left: fewer than asked when the send buffer is full or a datagram
    /// failed after the first; 0 when the first could not be sent now (the buffer is full).
    /// </summary>
    /// <exception cref="SocketException">The first datagram failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public int Send(Socket socket, SocketAddress? destination, int start, int count)
    {
        var name = (nint)0;
        if (destination is not null)
        {
            // One copy of the address, after the senders', serves every datagram of the call.
            name = AddressAt(Capacity);
            destination.Buffer.Span[..destination.Size].CopyTo(_addresses.AsSpan(Capacity * AddressSize, AddressSize));
        }

        for (var i = start; i < start + count; i++)
        {
            Prepare(i, name, (uint)(destination?.Size ?? 0), _lengths[i]);
        }

        return Call(socket, &SendNow, start, count);
    }

    private ReadOnlySpan<byte> Sender(int index) => _addresses.AsSpan(index * AddressSize, _senderLengths[index]);

    private void Prepare(int index, nint address, uint addressLength, int payloadLength)
    {
        _vectors[index] = new IoVector { Start = SlotAddress(index), Length = (nuint)payloadLength };
        _headers[index] = new MultiMessageHeader
        {
            Header = new MessageHeader { Name = address, NameLength = addressLength, Vectors = VectorAt(index), VectorCount = 1 },
        };
    }

    private int Call(Socket socket, delegate*<int, MultiMessageHeader*, uint, int> call, int start, int count)
    {
        using var fd = new DescriptorLease(socket.SafeHandle);
        var result = call(fd.Value, HeaderAt(start), (uint)count);
        if (result >= 0)
        {
            return result;
        }

        var error = LinuxErrors.ToSocketError(Marshal.GetLastPInvokeError());
        // Nothing queued, no room to send, or a signal before anything moved: none this time.
        return error is SocketError.WouldBlock or SocketError.Interrupted ? 0 : throw new SocketException((int)error);
    }

    // The arrays are pinned for their lifetime, so the addresses of their elements never change.
    private nint SlotAddress(int index) => (nint)Unsafe.AsPointer(ref _payloads[index * SlotSize]);

    private nint AddressAt(int index) => (nint)Unsafe.AsPointer(ref _addresses[index * AddressSize]);

    private IoVector* VectorAt(int index) => (IoVector*)Unsafe.AsPointer(ref _vectors[index]);

    private MultiMessageHeader* HeaderAt(int index) => (MultiMessageHeader*)Unsafe.AsPointer(ref _headers[index]);

    private static int ReceiveQueued(int socket, MultiMessageHeader* messages, uint count) =>
        ReceiveMultiple(socket, messages, count, MessageDontWait, null);

    private static int SendNow(int socket, MultiMessageHeader* messages, uint count) =>
        SendMultiple(socket, messages, count, MessageDontWait);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int ReceiveMultiple(int socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMultiple(int socket, MultiMessageHeader* messages, uint count, int flags);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Start;
        public nuint Length;
    }

    /// <summary>struct msghdr, with one buffer and no ancillary data; the kernel writes NameLength back on receive.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr: the kernel writes the length of each datagram back.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }
}
