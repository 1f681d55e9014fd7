using System.Net;
using System.Net.Sockets;

namespace Bouncer.Cli.Tests.Support;

/// <summary>Loopback addresses used as stand-ins for a host's addresses, and free ports on them.</summary>
internal static class Loopback
{
    public static readonly IPAddress Client = IPAddress.Parse("127.0.0.1");
    public static readonly IPAddress Bouncer = IPAddress.Parse("127.0.0.2");
    public static readonly IPAddress TargetA = IPAddress.Parse("127.0.0.3");
    public static readonly IPAddress TargetB = IPAddress.Parse("127.0.0.4");

    /// <summary>A port that was free a moment ago (the OS's choice for port 0).</summary>
    public static int FreePort(IPAddress address, ProtocolType protocol = ProtocolType.Tcp)
    {
        using var probe = new Socket(address.AddressFamily, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>A TCP connection from 127.0.0.1, within 10 seconds.</summary>
    public static async Task<Socket> ConnectAsync(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address.AddressFamily == AddressFamily.InterNetwork ? Client : IPAddress.IPv6Loopback, 0));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
