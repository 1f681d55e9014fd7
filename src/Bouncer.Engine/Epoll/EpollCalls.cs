using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Bouncer.Engine.Net;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// The Linux calls the epoll transport makes itself: epoll(7), eventfd(2), socket(2), accept4(2),
/// connect(2), getsockname(2), getsockopt(2) for SO_ERROR, shutdown(2), setsockopt(2) for
/// SO_LINGER, TCP_NODELAY and SO_KEEPALIVE, and pipe2(2), splice(2) and fcntl(2) for bulk streams.
/// .NET exposes none of them on a socket it has no <see cref="Socket"/> for, and no maintained
/// package binds them, so they are declared here.
/// </summary>
internal static unsafe partial class EpollCalls
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;
    public const uint Exclusive = 1u << 28;
    public const uint EdgeTriggered = 1u << 31;

    public const int ErrnoInterrupted = 4;
    public const int ErrnoWouldBlock = 11;
    public const int ErrnoConnectionAborted = 103;
    public const int ErrnoIsConnected = 106;
    public const int ErrnoNotConnected = 107;
    public const int ErrnoAlready = 114;
    public const int ErrnoInProgress = 115;

    private const int CtlAdd = 1;
    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int DontWait = 0x40;
    private const int NoSignal = 0x4000;
    private const int StreamType = 1;
    private const int TcpProtocol = 6;
    private const int TcpLevel = 6;
    private const int NoDelayOption = 1;
    private const int KeepAliveOption = 9;
    private const int ErrorOption = 4;
    private const int SetStatusFlags = 4;
    private const int SetPipeSize = 1031;
    private const int GetPipeSize = 1032;
    private const uint SpliceMove = 1;
    private const uint SpliceNonBlocking = 2;
    private const ushort FamilyInet = 2;
    private const ushort FamilyInet6 = 10;
    private const int SocketLevel = 1;
    private const int LingerOption = 13;

    /// <summary>sizeof(struct sockaddr_storage): room for any address accept4 may write.</summary>
    private const int AddressStorage = 128;

    /// <summary>
    /// struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16), so
    /// events are read from raw memory with the stride and data offset of the process's architecture.
    /// </summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = EventSize == 12 ? 4 : 8;

    /// <summary>
    /// Calls each import once on no descriptor (EBADF), so they are bound before the first session
    /// needs them: binding opens the library by name, which out of descriptors would fail.
    /// </summary>
    public static void BindAll()
    {
        byte scratch = 0;
        var length = 0;
        _ = Recv(-1, &scratch, 0, DontWait);
        _ = SendCall(-1, &scratch, 0, DontWait | NoSignal);
        _ = SocketCall(-1, 0, 0);
        _ = Fcntl(-1, SetStatusFlags, NonBlocking);
        _ = SpliceCall(-1, null, -1, null, 0, SpliceNonBlocking);
        _ = Pipe2(null, -1);
        _ = Accept4(-1, null, null, CloseOnExec | NonBlocking);
        _ = ConnectCall(-1, &scratch, 0);
        _ = GetSockName(-1, &scratch, &length);
        _ = ShutdownCall(-1, 0);
        _ = SetSockOpt(-1, SocketLevel, LingerOption, &scratch, 0);
        _ = GetSockOpt(-1, SocketLevel, ErrorOption, &scratch, &length);
        _ = Close(-1);
        _ = EpollCtl(-1, CtlAdd, -1, &scratch);
    }

    public static int CreateEpoll() => Check(EpollCreate(CloseOnExec));

    public static int CreateEventFd() => Check(EventFd(0, CloseOnExec | NonBlocking));

    /// <summary>Adds <paramref name="socket"/> to <paramref name="epoll"/>; the errno on failure, else 0.</summary>
    public static int Add(int epoll, SafeHandle socket, uint events, ulong data)
    {
        using var fd = new DescriptorLease(socket);
        return Add(epoll, fd.Value, events, data);
    }

    /// <summary>Adds <paramref name="fd"/> to <paramref name="epoll"/>; the errno on failure, else 0.</summary>
    public static int Add(int epoll, int fd, uint events, ulong data)
    {
        var buffer = stackalloc byte[16];
        *(uint*)buffer = events;
        *(ulong*)(buffer + DataOffset) = data;
        return EpollCtl(epoll, CtlAdd, fd, buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Waits for events into <paramref name="events"/> (room for <paramref name="capacity"/>); the count, or -errno.</summary>
    public static int Wait(int epoll, byte* events, int capacity)
    {
        var count = EpollWait(epoll, events, capacity, -1);
        return count >= 0 ? count : -Marshal.GetLastPInvokeError();
    }

    public static uint EventsAt(byte* events, int index) => *(uint*)(events + (index * EventSize));

    public static ulong DataAt(byte* events, int index) => *(ulong*)(events + (index * EventSize) + DataOffset);

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = Write(eventFd, &one, sizeof(ulong));
    }

    public static void Drain(int eventFd)
    {
        ulong value;
        _ = Read(eventFd, &value, sizeof(ulong));
    }

    public static void CloseDescriptor(int fd) => _ = Close(fd);

    /// <summary>recv without waiting (MSG_DONTWAIT): the bytes read, or -errno.</summary>
    public static int Receive(SafeHandle socket, Span<byte> buffer)
    {
        using var fd = new DescriptorLease(socket);
        fixed (byte* data = buffer)
        {
            var read = Recv(fd.Value, data, (nuint)buffer.Length, DontWait);
            return read >= 0 ? (int)read : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>send without waiting and without SIGPIPE: the bytes sent, or -errno.</summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> buffer)
    {
        using var fd = new DescriptorLease(socket);
        fixed (byte* data = buffer)
        {
            var sent = SendCall(fd.Value, data, (nuint)buffer.Length, DontWait | NoSignal);
            return sent >= 0 ? (int)sent : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>
    /// A TCP socket of <paramref name="family"/>, non-blocking and close-on-exec from the start: the
    /// connect must not block a loop, and setting O_NONBLOCK afterwards would be one more call.
    /// </summary>
    public static SocketDescriptor OpenStream(AddressFamily family)
    {
        var domain = family == AddressFamily.InterNetworkV6 ? FamilyInet6 : FamilyInet;
        return new SocketDescriptor(Check(SocketCall(domain, StreamType | NonBlocking | CloseOnExec, TcpProtocol)));
    }

    /// <summary>O_NONBLOCK with one fcntl (the file status flags of a socket hold nothing else worth keeping): 0, or the errno.</summary>
    public static int SetNonBlocking(SafeHandle socket)
    {
        using var fd = new DescriptorLease(socket);
        return Fcntl(fd.Value, SetStatusFlags, NonBlocking) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>A non-blocking, close-on-exec pipe; false when the system has no descriptor (or memory) for one.</summary>
    public static bool TryOpenPipe(out SocketDescriptor readEnd, out SocketDescriptor writeEnd)
    {
        var ends = stackalloc int[2];
        if (Pipe2(ends, NonBlocking | CloseOnExec) != 0)
        {
            readEnd = writeEnd = null!;
            return false;
        }

        readEnd = new SocketDescriptor(ends[0]);
        writeEnd = new SocketDescriptor(ends[1]);
        return true;
    }

    /// <summary>
    /// Asks for a pipe of <paramref name="bytes"/> and returns the capacity it has: on a refusal
    /// (the user's pipe memory is spent) the size it kept, which past that limit is two pages.
    /// </summary>
    public static int SetPipeCapacity(SafeHandle pipe, int bytes)
    {
        using var fd = new DescriptorLease(pipe);
        var capacity = Fcntl(fd.Value, SetPipeSize, bytes);
        return capacity > 0 ? capacity : Fcntl(fd.Value, GetPipeSize, 0);
    }

    /// <summary>splice(2) of up to <paramref name="length"/> bytes without waiting: the count (0 at end of stream), or -errno.</summary>
    public static int Splice(SafeHandle from, SafeHandle to, int length)
    {
        using var input = new DescriptorLease(from);
        using var output = new DescriptorLease(to);
        var moved = SpliceCall(input.Value, null, output.Value, null, (nuint)length, SpliceMove | SpliceNonBlocking);
        return moved >= 0 ? (int)moved : -Marshal.GetLastPInvokeError();
    }

    /// <summary>TCP_NODELAY, and SO_KEEPALIVE when <paramref name="keepAlive"/>; throws <see cref="SocketException"/> when refused.</summary>
    public static void SetStreamDefaults(SafeHandle socket, bool keepAlive)
    {
        var on = 1;
        using var fd = new DescriptorLease(socket);
        Check(SetSockOpt(fd.Value, TcpLevel, NoDelayOption, &on, sizeof(int)));
        if (keepAlive)
        {
            Check(SetSockOpt(fd.Value, SocketLevel, KeepAliveOption, &on, sizeof(int)));
        }
    }

    /// <summary>
    /// accept4 of a queued connection, close-on-exec: the descriptor, or -errno; <paramref name="remote"/>
    /// is the client's address, as the kernel wrote it with the connection.
    /// </summary>
    /// <remarks>
    /// Left blocking: every read and write passes MSG_DONTWAIT, and a <see cref="Socket"/> made
    /// around a non-blocking descriptor (for a rule's client-side options) would build the
    /// runtime's async context for it.
    /// </remarks>
    public static int Accept(SafeHandle listener, out IPEndPoint? remote)
    {
        var address = stackalloc byte[AddressStorage];
        var length = AddressStorage;
        int accepted;
        using (var fd = new DescriptorLease(listener))
        {
            accepted = Accept4(fd.Value, address, &length, CloseOnExec);
        }

        if (accepted < 0)
        {
            remote = null;
            return -Marshal.GetLastPInvokeError();
        }

        remote = ReadAddress(new ReadOnlySpan<byte>(address, Math.Min(length, AddressStorage)));
        return accepted;
    }

    /// <summary>A non-blocking connect: 0 when connected at once, else the errno (EINPROGRESS while under way).</summary>
    public static int Connect(SafeHandle socket, IPEndPoint target)
    {
        var address = stackalloc byte[28];
        var length = WriteAddress(target, new Span<byte>(address, 28));
        using var fd = new DescriptorLease(socket);
        return ConnectCall(fd.Value, address, length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The address the kernel gave the socket (getsockname), or null when it cannot tell (closed, say).</summary>
    public static IPEndPoint? LocalAddress(SafeHandle socket)
    {
        var address = stackalloc byte[28];
        var length = 28;
        try
        {
            using var fd = new DescriptorLease(socket);
            if (GetSockName(fd.Value, address, &length) != 0)
            {
                return null;
            }
        }
        catch (ObjectDisposedException)
        {
            return null;
        }

        return ReadAddress(new ReadOnlySpan<byte>(address, Math.Min(length, 28)));
    }

    /// <summary>How a connect that was under way ended (SO_ERROR, which reading clears): Success once connected.</summary>
    public static SocketError PendingError(SafeHandle socket)
    {
        var error = 0;
        var length = sizeof(int);
        using var fd = new DescriptorLease(socket);
        Check(GetSockOpt(fd.Value, SocketLevel, ErrorOption, &error, &length));
        return error == 0 ? SocketError.Success : Net.LinuxErrors.ToSocketError(error);
    }

    /// <summary>shutdown(2): 0, or the errno.</summary>
    public static int Shutdown(SafeHandle socket, SocketShutdown how)
    {
        using var fd = new DescriptorLease(socket);
        return ShutdownCall(fd.Value, (int)how) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>SO_LINGER on with a timeout of 0: the close that follows sends a reset. 0, or the errno.</summary>
    public static int LingerNone(SafeHandle socket)
    {
        // struct linger { int l_onoff; int l_linger; }
        var linger = stackalloc int[2] { 1, 0 };
        using var fd = new DescriptorLease(socket);
        return SetSockOpt(fd.Value, SocketLevel, LingerOption, linger, 2 * sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>struct sockaddr_in or sockaddr_in6 as Linux lays them out; returns the length.</summary>
    internal static int WriteAddress(IPEndPoint endpoint, Span<byte> buffer)
    {
        buffer.Clear();
        var port = (ushort)endpoint.Port;
        buffer[2] = (byte)(port >> 8);
        buffer[3] = (byte)port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(buffer, FamilyInet);
            endpoint.Address.TryWriteBytes(buffer.Slice(4, 4), out _);
            return 16;
        }

        BitConverter.TryWriteBytes(buffer, FamilyInet6);
        endpoint.Address.TryWriteBytes(buffer.Slice(8, 16), out _);
        BitConverter.TryWriteBytes(buffer.Slice(24, 4), (uint)endpoint.Address.ScopeId);
        return 28;
    }

    internal static IPEndPoint? ReadAddress(ReadOnlySpan<byte> address)
    {
        if (address.Length < 16)
        {
            return null;
        }

        var family = BitConverter.ToUInt16(address);
        var port = (address[2] << 8) | address[3];
        if (family == FamilyInet)
        {
            return new IPEndPoint(new IPAddress(address.Slice(4, 4)), port);
        }

        return family == FamilyInet6 && address.Length >= 28
            ? new IPEndPoint(new IPAddress(address.Slice(8, 16), BitConverter.ToUInt32(address.Slice(24, 4))), port)
            : null;
    }

    private static int Check(int result) =>
        result >= 0 ? result : throw new SocketException((int)Net.LinuxErrors.ToSocketError(Marshal.GetLastPInvokeError()));

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int fd, byte* @event);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, byte* events, int capacity, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int ConnectCall(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendCall(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* ends, int flags);

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint SpliceCall(int input, long* inputOffset, int output, long* outputOffset, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketCall(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int ShutdownCall(int fd, int how);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);
}
