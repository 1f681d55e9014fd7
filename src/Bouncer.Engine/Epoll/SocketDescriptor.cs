using Microsoft.Win32.SafeHandles;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// A descriptor closed with close(2) alone: a connection's, accepted or outgoing, or an end of a
/// <see cref="SplicePipe"/>. A
/// <see cref="System.Net.Sockets.SafeSocketHandle"/> would do as a handle until then, but disposed
/// without a <see cref="System.Net.Sockets.Socket"/> around it, it takes itself for abandoned and
/// closes with a reset (SO_LINGER 0); a graceful end must send a FIN.
/// </summary>
internal sealed class SocketDescriptor : SafeHandleMinusOneIsInvalid
{
    public SocketDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    protected override bool ReleaseHandle()
    {
        EpollCalls.CloseDescriptor((int)handle);
        return true;
    }
}
