using System.Net;
using System.Net.Sockets;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// Expands interface names and hostnames to addresses when the file is loaded (<c>to:</c>,
/// <c>external:</c>), keeping the families the protocol setting allows.
/// </summary>
internal sealed class NameExpander(INetworkEnvironment environment, DiagnosticBag diagnostics)
{
    /// <summary>The addresses, or null after reporting why there are none.</summary>
    public IReadOnlyList<IPAddress>? Expand(WordSyntax word, string name, string field, AddressFamilies families, string familySetting)
    {
        IReadOnlyList<IPAddress>? found;
        bool isInterface;
        try
        {
            found = environment.GetInterfaceAddresses(name);
            isInterface = found is not null;
            found ??= environment.ResolveHost(name);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            diagnostics.Error(word.Position, $"{field} cannot look up '{name}': {ex.Message}");
            return null;
        }

        if (!isInterface && found.Count == 0)
        {
            diagnostics.Error(word.Position, $"{field} '{name}' is neither an interface nor a resolvable hostname");
            return null;
        }

        var kept = found
            .Select(MappedAddress.Unmap)
            .Where(a => Allows(families, a.AddressFamily))
            .Distinct()
            .ToArray();
        if (kept.Length == 0)
        {
            var what = isInterface ? "interface" : "hostname";
            diagnostics.Error(word.Position, found.Count == 0
                ? $"{field} interface '{name}' has no address"
                : $"{field} {what} '{name}' has no {Describe(families)} address ({familySetting}: {Describe(families)})");
            return null;
        }

        return kept;
    }

    public static bool Allows(AddressFamilies families, AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => (families & AddressFamilies.IPv4) != 0,
        AddressFamily.InterNetworkV6 => (families & AddressFamilies.IPv6) != 0,
        _ => false,
    };

    public static string Describe(AddressFamilies families) => families switch
    {
        AddressFamilies.IPv4 => "ipv4",
        AddressFamilies.IPv6 => "ipv6",
        _ => "ipv4 ipv6",
    };
}
