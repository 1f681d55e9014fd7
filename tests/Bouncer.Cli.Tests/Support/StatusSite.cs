using System.Net;

namespace Bouncer.Cli.Tests.Support;

/// <summary>
/// A daemon with <c>--status</c> on 127.0.0.1 and three rules on <see cref="Loopback.Bouncer"/>:
/// pass(1) TCP to a target, block(2) TCP, pass(3) UDP to a target.
/// </summary>
internal sealed class StatusSite : IAsyncDisposable
{
    private StatusSite(DaemonProcess daemon, IPEndPoint status, string ruleFile, int tcpPort, int blockedPort, int udpPort)
    {
        Daemon = daemon;
        Status = status;
        RuleFile = ruleFile;
        TcpPort = tcpPort;
        BlockedPort = blockedPort;
        UdpPort = udpPort;
    }

    public DaemonProcess Daemon { get; }

    public IPEndPoint Status { get; }

    public string RuleFile { get; }

    public int TcpPort { get; }

    public int BlockedPort { get; }

    public int UdpPort { get; }

    public static async Task<StatusSite> StartAsync(TempDirectory directory, int tcpTargetPort, int udpTargetPort)
    {
        var tcpPort = Loopback.FreePort(Loopback.Bouncer);
        var blockedPort = Loopback.FreePort(Loopback.Bouncer);
        var udpPort = Loopback.FreePort(Loopback.Bouncer, System.Net.Sockets.ProtocolType.Udp);
        var status = new IPEndPoint(Loopback.Client, Loopback.FreePort(Loopback.Client));
        var ruleFile = directory.File("status.conf");
        await File.WriteAllTextAsync(
            ruleFile,
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {tcpPort} bounce to: {Loopback.TargetA} port = {tcpTargetPort} protocol: tcp }}\n" +
            $"client block {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {blockedPort} protocol: tcp }}\n" +
            $"client pass {{ from: 127.0.0.0/8 to: {Loopback.Bouncer} port = {udpPort} bounce to: {Loopback.TargetA} port = {udpTargetPort} protocol: udp }}\n");
        var daemon = DaemonProcess.Start(["-f", ruleFile, "--status", status.ToString()]);
        try
        {
            await daemon.WaitForLineAsync("status: serving ");
            return new StatusSite(daemon, status, ruleFile, tcpPort, blockedPort, udpPort);
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    /// <summary>The labels of a rule's series, as the daemon writes them.</summary>
    public (string, string)[] Labels(string rule, string protocol, int port) =>
        [("rule", rule), ("protocol", protocol), ("listen", $"{Loopback.Bouncer}.{port}")];

    public ValueTask DisposeAsync()
    {
        Daemon.Dispose();
        return ValueTask.CompletedTask;
    }
}
