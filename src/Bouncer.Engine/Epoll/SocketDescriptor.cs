using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A descriptor closed with close(2) alone: a connection's, accepted or outgoing, or an end of a
/// <see cref="SplicePipe"/>. A <see cref="SafeSocketHandle"/> would do as a handle until then, but
/// disposed without a <see cref="Socket"/> around it, it takes itself for abandoned and closes with
/// a reset (SO_LINGER 0); a graceful end must send a FIN.
/// </summary>
internal sealed class SocketDescriptor : SafeHandleMinusOneIsInvalid
{
    public SocketDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>
    /// A <see cref="Socket"/> on this descriptor that does not own it, for a rule's options: the
    /// runtime asks the kernel for the socket's family, type, flags and addresses to build it (a
    /// handful of system calls), and its disposal closes nothing; this handle closes the descriptor.
    /// </summary>
    public Socket ToSocket() => new(new SafeSocketHandle(DangerousGetHandle(), ownsHandle: false));

    protected override bool ReleaseHandle()
    {
        EpollCalls.CloseDescriptor((int)handle);
        return true;
    }
}
