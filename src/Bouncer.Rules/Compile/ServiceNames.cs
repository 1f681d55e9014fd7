using System.Collections.Frozen;
using System.Globalization;

namespace Bouncer.Rules.Compile;

/// <summary>
/// Port numbers by service name (<c>http</c>, <c>domain</c>, ...): a built-in table of common services,
/// so files mean the same on every host, plus the names of <c>/etc/services</c> where it exists.
/// The built-in entries win where both name a service.
/// </summary>
internal sealed class ServiceNames
{
    private static readonly (string Name, int Port)[] s_builtIn =
    [
        ("echo", 7), ("discard", 9), ("daytime", 13), ("ftp-data", 20), ("ftp", 21), ("ssh", 22),
        ("telnet", 23), ("smtp", 25), ("time", 37), ("whois", 43), ("nicname", 43), ("tacacs", 49),
        ("domain", 53), ("dns", 53), ("bootps", 67), ("bootpc", 68), ("tftp", 69), ("gopher", 70),
        ("finger", 79), ("http", 80), ("www", 80), ("kerberos", 88), ("pop3", 110), ("sunrpc", 111),
        ("auth", 113), ("ident", 113), ("nntp", 119), ("ntp", 123), ("epmap", 135), ("netbios-ns", 137),
        ("netbios-dgm", 138), ("netbios-ssn", 139), ("imap", 143), ("imap2", 143), ("snmp", 161),
        ("snmp-trap", 162), ("bgp", 179), ("irc", 194), ("ldap", 389), ("https", 443),
        ("microsoft-ds", 445), ("smtps", 465), ("submissions", 465), ("isakmp", 500), ("syslog", 514),
        ("printer", 515), ("rtsp", 554), ("submission", 587), ("ipp", 631), ("ldaps", 636),
        ("rsync", 873), ("ftps-data", 989), ("ftps", 990), ("telnets", 992), ("imaps", 993),
        ("pop3s", 995), ("socks", 1080), ("openvpn", 1194), ("ms-sql-s", 1433), ("radius", 1812),
        ("radius-acct", 1813), ("nfs", 2049), ("mysql", 3306), ("ms-wbt-server", 3389), ("rdp", 3389),
        ("sip", 5060), ("sips", 5061), ("postgresql", 5432), ("amqp", 5672), ("x11", 6000),
        ("redis", 6379), ("http-alt", 8080), ("webcache", 8080),
    ];

    private readonly FrozenDictionary<string, int> _ports;

    private ServiceNames(FrozenDictionary<string, int> ports) => _ports = ports;

    /// <summary>The built-in table only: the same answers on every host (tests use it).</summary>
    public static ServiceNames BuiltIn { get; } = Create(null);

    private static readonly Lazy<ServiceNames> s_system = new(() => Create(ReadEtcServices()));

    /// <summary>The built-in table plus this host's <c>/etc/services</c>, read once.</summary>
    public static ServiceNames System => s_system.Value;

    public bool TryGetPort(string name, out int port) => _ports.TryGetValue(name, out port);

    /// <summary>Builds a table from the built-in names and the text of a services(5) file.</summary>
    public static ServiceNames Create(string? servicesFileText)
    {
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        if (servicesFileText is not null)
        {
            foreach (var (name, port) in ParseServicesFile(servicesFileText))
            {
                ports.TryAdd(name, port);
            }
        }

        foreach (var (name, port) in s_builtIn)
        {
            ports[name] = port;
        }

        return new ServiceNames(ports.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>services(5): <c>name port/protocol [aliases...] [# comment]</c>, one per line.</summary>
    internal static IEnumerable<(string Name, int Port)> ParseServicesFile(string text)
    {
        foreach (var rawLine in text.Split('\n'))
        {
            var hash = rawLine.IndexOf('#', StringComparison.Ordinal);
            var line = hash < 0 ? rawLine : rawLine[..hash];
            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            var slash = fields[1].IndexOf('/', StringComparison.Ordinal);
            var number = slash < 0 ? fields[1] : fields[1][..slash];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                continue;
            }

            foreach (var name in fields.Skip(2).Prepend(fields[0]))
            {
                yield return (name, port);
            }
        }
    }

    private static string? ReadEtcServices()
    {
        try
        {
            var info = new FileInfo("/etc/services");
            return info.Exists && info.Length < 4 * 1024 * 1024 ? File.ReadAllText(info.FullName) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
