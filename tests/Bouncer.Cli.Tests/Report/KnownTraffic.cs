using System.IO.Compression;
using System.Text;
using Bouncer.Cli.Tests.Support;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Tests.Report;

/// <summary>
/// A log of known traffic over three rules (TCP with a session limit, a block rule, UDP), four
/// clients of the pass rule and two of the block rule, split at 12 s into a gzip-compressed
/// rotation and the live file. A TCP session opens in the rotation and ends in the live file.
/// </summary>
internal static class KnownTraffic
{
    public static readonly Rule Web = TestRules.Pass(1);
    public static readonly Rule Ssh = TestRules.Block(2) with { To = TestRules.Pass(2, port: 22).To };
    public static readonly Rule Dns = TestRules.Pass(3, listen: "192.0.2.11", port: 53, protocols: Protocols.Udp);

    /// <summary>Lines up to 12 s: they go to the rotation.</summary>
    public static LogText Rotated(bool json) => new LogText(json)
        .Open(Web, S(0), "198.51.100.7:1000")
        .End(Web, S(2), "198.51.100.7:1000", fromClient: 100, toClient: 1000, S(2))
        .Refuse(Ssh, S(5), "10.9.8.7:40000")
        .Refuse(Ssh, S(6), "10.9.8.8:40001")
        .Line("a line that is not Bouncer's")
        .Refuse(Ssh, S(7), "10.9.8.7:40002")
        .Open(Web, S(10), "198.51.100.8:2000");

    /// <summary>Lines after 12 s: the live file.</summary>
    public static LogText Live(bool json) => new LogText(json)
        .End(Web, S(15), "198.51.100.8:2000", fromClient: 50, toClient: 500, S(5), EndReason.RemotePeerClosed)
        .End(Web, S(20), "198.51.100.7:1001", fromClient: 10, toClient: 20, S(30)) // began before the log did
        .Open(Web, S(25), "198.51.100.9:3000") // still open at the end
        .Refuse(Web, S(26), "198.51.100.10:4000", EndReason.SessionLimitReached)
        .End(Dns, S(30), "198.51.100.7:5353", fromClient: 40, toClient: 96, S(10), EndReason.IoTimeout, TransportProtocol.Udp)
        .Line("Nov 22 14:00:30 (1763820030.5) bouncer[4242]: info: pass(1): tcp/connect ]: 12 -> 198.51.100.7.5 192.0.2.10.80 -> 1")
        .End(Dns, S(31), "198.51.100.11:5353", fromClient: 40, toClient: 96, S(10), EndReason.IoTimeout, TransportProtocol.Udp);

    /// <summary>Writes the rotation as <c>bouncer.log.1.gz</c> and the live file as <c>bouncer.log</c>; returns both, live first.</summary>
    public static string[] WriteFiles(TempDirectory directory, bool json)
    {
        var live = directory.File("bouncer.log");
        var rotated = directory.File("bouncer.log.1.gz");
        File.WriteAllText(live, Live(json).ToString());
        WriteGzip(rotated, Rotated(json).ToString());
        return [live, rotated];
    }

    public static void WriteGzip(string path, string text)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }

    public static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
