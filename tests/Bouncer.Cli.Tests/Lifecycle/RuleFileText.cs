using System.Net;

namespace Bouncer.Cli.Tests.Lifecycle;

/// <summary>Rule file lines for the process tests: loopback only.</summary>
internal static class RuleFileText
{
    public static string Pass(string protocol, IPAddress listen, int port, IPAddress target, int targetPort) =>
        $"client pass {{ from: 127.0.0.0/8 to: {listen} port = {port} bounce to: {target} port = {targetPort} " +
        $"protocol: {protocol} log: connect disconnect error }}\n";
}
