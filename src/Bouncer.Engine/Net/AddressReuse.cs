using System.Net.Sockets;

namespace Bouncer.Engine.Net;

/// <summary>
/// SO_REUSEADDR for a listening socket, and nothing more: a restart is not refused while old
/// connections sit in TIME_WAIT, and an address-specific UDP socket can share its port with the
/// wildcard one. It is set raw, because .NET's <see cref="SocketOptionName.ReuseAddress"/> on Unix
/// also sets SO_REUSEPORT, which would let a second daemon bind the same TCP port and silently take
/// a share of its clients (two UDP sockets with SO_REUSEADDR may share a port on Linux anyway, and
/// the wildcard listener's per-address sockets rely on that). Windows gets nothing: its SO_REUSEADDR would let another socket
/// take the port over.
/// </summary>
public static class AddressReuse
{
    // SOL_SOCKET and SO_REUSEADDR: Linux's numbers, then the BSDs' and macOS's.
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;
    private const int BsdSolSocket = 0xffff;
    private const int BsdSoReuseAddr = 4;

    public static void Enable(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
        }
        else if (!OperatingSystem.IsWindows())
        {
            socket.SetRawSocketOption(BsdSolSocket, BsdSoReuseAddr, BitConverter.GetBytes(1));
        }
    }
}
