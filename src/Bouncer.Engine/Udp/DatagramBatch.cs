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
/// <para>
/// A send can hand the kernel a run of equal datagrams as one message with UDP_SEGMENT (Linux
/// 4.18, "segmentation offload"): the run goes through the IP layer, the route and the device once,
/// and is cut into its datagrams at the end (by the device, or on loopback by the receiving
/// socket). On loopback that halves the sender's cost per datagram. The datagrams the receiver
/// gets are exactly those sent, boundaries and order kept.
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
    private const int LevelUdp = 17; // SOL_UDP
    private const int UdpSegment = 103; // UDP_SEGMENT, linux/udp.h

    // A run is one datagram to the layers below UDP, so it carries at most what one IPv4 datagram can.
    private const int MaxRunBytes = 65507;

    // struct cmsghdr (a size_t and two ints) and its data, a 16-bit segment size, padded to a size_t.
    private static readonly int ControlHeaderSize = IntPtr.Size + 2 * sizeof(int);
    private static readonly int ControlSize = ControlHeaderSize + IntPtr.Size;

    private readonly byte[] _payloads = GC.AllocateUninitializedArray<byte>(Capacity * SlotSize, pinned: true);
    private readonly byte[] _addresses = GC.AllocateArray<byte>((Capacity + 1) * AddressSize, pinned: true);
    private readonly IoVector[] _vectors = GC.AllocateArray<IoVector>(Capacity, pinned: true);
    private readonly MultiMessageHeader[] _headers = GC.AllocateArray<MultiMessageHeader>(Capacity, pinned: true);
    private readonly byte[] _controls = GC.AllocateArray<byte>(Capacity * ControlSize, pinned: true);
    private readonly int[] _lengths = new int[Capacity];

    // Datagrams in each message of the last segmented send, by message.
    private readonly int[] _runLengths = new int[Capacity];

    // Kept apart from the headers, which a send rewrites: a listener goes on reading the senders
    // of a batch after sending part of it on to a flow's target.
    private readonly int[] _senderLengths = new int[Capacity];

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>
    /// Whether the kernel knows UDP_SEGMENT. Asked with getsockopt, because a kernel without it
    /// ignores the control message and would send a whole run as one datagram.
    /// </summary>
    public static bool SegmentationSupported { get; } = IsSupported && AnswersSegmentSize();

    /// <summary>Runs of several datagrams this batch has sent as one message (with segmentation offload).</summary>
    public int SegmentedRuns { get; private set; }

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
    /// Where <paramref name="segmentation"/> allows, runs of equal datagrams go as one message each.
    /// </summary>
    /// <exception cref="SocketException">The first datagram failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public int Send(Socket socket, SocketAddress? destination, int start, int count, DatagramSegmentation? segmentation)
    {
        var name = (nint)0;
        var nameLength = 0u;
        if (destination is not null)
        {
            // One copy of the address, after the senders', serves every datagram of the call.
            name = AddressAt(Capacity);
            nameLength = (uint)destination.Size;
            destination.Buffer.Span[..destination.Size].CopyTo(_addresses.AsSpan(Capacity * AddressSize, AddressSize));
        }

        var runs = count > 1 && segmentation is { Enabled: true } ? segmentation : null;
        var messages = LayOut(name, nameLength, start, count, runs);
        if (runs is not null && messages < count)
        {
            if (TrySendRuns(socket, start, messages, runs, out var sent))
            {
                return sent;
            }

            // Refused as runs: every datagram in a message of its own.
            LayOut(name, nameLength, start, count, runs: null);
        }

        return Call(socket, &SendNow, start, count);
    }

    /// <summary>
    /// Lays datagrams <paramref name="start"/> on out as messages from header <paramref name="start"/>
    /// on: where <paramref name="runs"/> allows, each run of equal datagrams (and a shorter one that
    /// ends it) in one message with its segment size; every other datagram in a message of its own.
    /// Returns how many messages.
    /// </summary>
    private int LayOut(nint name, uint nameLength, int start, int count, DatagramSegmentation? runs)
    {
        var end = start + count;
        var messages = 0;
        for (var first = start; first < end; messages++)
        {
            var size = _lengths[first];
            var next = first + 1;
            var bytes = size;

            // Asked once per run: whether datagrams of this size may go as one message at all.
            var mayRun = runs is not null && size > 0 && runs.Allows(size);
            while (mayRun && next < end && _lengths[next] == size && bytes + size <= MaxRunBytes)
            {
                bytes += size;
                next++;
            }

            // The kernel lets the last datagram of a run be shorter; an empty one would vanish in the run.
            if (next > first + 1 && next < end && _lengths[next] > 0 && _lengths[next] < size && bytes + _lengths[next] <= MaxRunBytes)
            {
                next++;
            }

            for (var i = first; i < next; i++)
            {
                _vectors[i] = new IoVector { Start = SlotAddress(i), Length = (nuint)_lengths[i] };
            }

            var run = next - first;
            _runLengths[messages] = run;
            Header(start + messages, first, run, name, nameLength, run > 1 ? SegmentSizeControl(messages, size) : 0);
            first = next;
        }

        return messages;
    }

    /// <summary>
    /// Sends the messages <see cref="LayOut"/> laid out and counts the datagrams they held in
    /// <paramref name="sent"/>. False when the kernel refused a run as such: the datagrams must go
    /// one by one, and from then on every datagram does.
    /// </summary>
    private bool TrySendRuns(Socket socket, int start, int messages, DatagramSegmentation segmentation, out int sent)
    {
        var result = CallRaw(socket, &SendNow, start, messages, out var errno);
        sent = 0;
        if (result < 0)
        {
            if (_runLengths[0] > 1 && DatagramSegmentation.IsRefusal(errno))
            {
                segmentation.Refused(errno, _lengths[start]);
                return false;
            }

            sent = NoneNowOrThrow(errno);
            return true;
        }

        for (var message = 0; message < result; message++)
        {
            sent += _runLengths[message];
            SegmentedRuns += _runLengths[message] > 1 ? 1 : 0;
        }

        return true;
    }

    /// <summary>Writes message <paramref name="message"/>'s control data: UDP_SEGMENT with <paramref name="size"/>.</summary>
    private nint SegmentSizeControl(int message, int size)
    {
        var control = _controls.AsSpan(message * ControlSize, ControlSize);
        control.Clear();
        var length = (nuint)(ControlHeaderSize + sizeof(ushort));
        MemoryMarshal.Write(control, in length);
        MemoryMarshal.Write(control[IntPtr.Size..], LevelUdp);
        MemoryMarshal.Write(control[(IntPtr.Size + sizeof(int))..], UdpSegment);
        MemoryMarshal.Write(control[ControlHeaderSize..], (ushort)size);
        return (nint)Unsafe.AsPointer(ref control[0]);
    }

    private ReadOnlySpan<byte> Sender(int index) => _addresses.AsSpan(index * AddressSize, _senderLengths[index]);

    private void Prepare(int index, nint address, uint addressLength, int payloadLength)
    {
        _vectors[index] = new IoVector { Start = SlotAddress(index), Length = (nuint)payloadLength };
        Header(index, index, 1, address, addressLength, control: 0);
    }

    /// <summary>Header <paramref name="index"/>: buffers <paramref name="first"/> to <paramref name="first"/> + <paramref name="buffers"/> - 1, and a segment size when <paramref name="control"/> is set.</summary>
    private void Header(int index, int first, int buffers, nint address, uint addressLength, nint control) =>
        _headers[index] = new MultiMessageHeader
        {
            Header = new MessageHeader
            {
                Name = address,
                NameLength = addressLength,
                Vectors = VectorAt(first),
                VectorCount = (nuint)buffers,
                Control = control,
                ControlLength = control == 0 ? 0 : (nuint)ControlSize,
            },
        };

    private int Call(Socket socket, delegate*<int, MultiMessageHeader*, uint, int> call, int start, int count)
    {
        var result = CallRaw(socket, call, start, count, out var errno);
        return result >= 0 ? result : NoneNowOrThrow(errno);
    }

    /// <summary>The call's result, and the errno when it is negative.</summary>
    private int CallRaw(Socket socket, delegate*<int, MultiMessageHeader*, uint, int> call, int start, int count, out int errno)
    {
        using var fd = new DescriptorLease(socket.SafeHandle);
        var result = call(fd.Value, HeaderAt(start), (uint)count);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    /// <summary>Nothing queued, no room to send, or a signal before anything moved: 0, none this time; any other error is thrown.</summary>
    private static int NoneNowOrThrow(int errno)
    {
        var error = LinuxErrors.ToSocketError(errno);
        return error is SocketError.WouldBlock or SocketError.Interrupted ? 0 : throw new SocketException((int)error);
    }

    // The arrays are pinned for their lifetime, so the addresses of their elements never change.
    private nint SlotAddress(int index) => (nint)Unsafe.AsPointer(ref _payloads[index * SlotSize]);

    private nint AddressAt(int index) => (nint)Unsafe.AsPointer(ref _addresses[index * AddressSize]);

    private IoVector* VectorAt(int index) => (IoVector*)Unsafe.AsPointer(ref _vectors[index]);

    private MultiMessageHeader* HeaderAt(int index) => (MultiMessageHeader*)Unsafe.AsPointer(ref _headers[index]);

    private static bool AnswersSegmentSize()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            Span<byte> size = stackalloc byte[sizeof(int)];
            return probe.GetRawSocketOption(LevelUdp, UdpSegment, size) == sizeof(int);
        }
        catch (SocketException)
        {
            return false; // ENOPROTOOPT: a kernel before 4.18.
        }
    }

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
