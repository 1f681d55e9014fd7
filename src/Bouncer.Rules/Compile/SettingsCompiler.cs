using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>Reads the settings before the first rule into a <see cref="Settings"/> (design §2.4).</summary>
internal sealed class SettingsCompiler(ValueReader values, AddressReader addresses, NameExpander names)
{
    private static readonly Dictionary<string, ExternalRotation> s_rotations = new(StringComparer.Ordinal)
    {
        ["none"] = ExternalRotation.None,
        ["route"] = ExternalRotation.Route,
        ["same-same"] = ExternalRotation.SameSame,
    };

    private static readonly Dictionary<string, AddressFamilies> s_families = new(StringComparer.Ordinal)
    {
        ["ipv4"] = AddressFamilies.IPv4,
        ["ipv6"] = AddressFamilies.IPv6,
    };

    private static readonly Dictionary<string, SourceHostChecks> s_sourceHostChecks = new(StringComparer.Ordinal)
    {
        ["nodnsunknown"] = SourceHostChecks.NoDnsUnknown,
        ["nodnsmismatch"] = SourceHostChecks.NoDnsMismatch,
    };

    private static readonly Dictionary<string, int> s_debugLevels = new(StringComparer.Ordinal) { ["0"] = 0, ["1"] = 1, ["2"] = 2 };

    private static readonly HashSet<string> s_repeatable = new(StringComparer.Ordinal) { "external", "logoutput", "errorlog" };

    private static readonly HashSet<string> s_ignored = new(StringComparer.Ordinal) { "resolveprotocol", "extension" };

    private static readonly string[] s_ignoredPrefixes = ["cpu.", "child.", "route."];

    private readonly Dictionary<string, SourcePosition> _seen = new(StringComparer.Ordinal);
    private readonly List<WordSyntax> _externalWords = [];
    private readonly List<LogDestination> _logOutput = [];
    private readonly List<LogDestination> _errorLog = [];
    private readonly Dictionary<(SocketSide, SocketOptionKind), SocketOption> _socketOptions = [];
    private Settings _settings = Settings.Defaults;

    /// <summary>Applies one setting.</summary>
    public void Add(OptionSyntax option)
    {
        WarnIfRepeated(option);
        var keyword = option.Keyword;
        if (TimeoutOptions.IsTimeout(keyword))
        {
            _settings = _settings with { Timeouts = TimeoutOptions.Apply(option, values, _settings.Timeouts) };
            return;
        }

        if (SocketOptions.IsSocketOptionKeyword(keyword))
        {
            if (SocketOptions.Read(option, values) is { } socketOption)
            {
                _socketOptions[(socketOption.Side, socketOption.Kind)] = socketOption;
            }

            return;
        }

        if (s_ignored.Contains(keyword) || s_ignoredPrefixes.Any(p => keyword.StartsWith(p, StringComparison.Ordinal)))
        {
            values.Warning(option.Position, $"{keyword}: has no effect in Bouncer; accepted for compatibility");
            return;
        }

        AddOther(option);
    }

    private void AddOther(OptionSyntax option)
    {
        switch (option.Keyword)
        {
            case "external":
                _externalWords.AddRange(values.Words(option));
                if (option.Values.Length == 0)
                {
                    values.Error(option.Position, "external: needs a value (an IP address, hostname or interface name)");
                }

                break;
            case "external.rotation":
                if (values.OneOf(option, s_rotations, "external.rotation value", "none, route, same-same") is { } rotation)
                {
                    _settings = _settings with { Rotation = rotation };
                }

                break;
            case "external.protocol":
                if (values.ListOf(option, s_families, "address family", "ipv4, ipv6", (a, b) => a | b) is { } external)
                {
                    _settings = _settings with { ExternalFamilies = external };
                }

                break;
            case "internal.protocol":
                if (values.ListOf(option, s_families, "address family", "ipv4, ipv6", (a, b) => a | b) is { } @internal)
                {
                    _settings = _settings with { InternalFamilies = @internal };
                }

                break;
            case "logoutput":
                _logOutput.AddRange(LogDestinations.Read(option, values));
                break;
            case "errorlog":
                _errorLog.AddRange(LogDestinations.Read(option, values));
                break;
            case "debug":
                if (values.OneOf(option, s_debugLevels, "debug level", "0, 1, 2") is { } debug)
                {
                    _settings = _settings with { Debug = debug };
                }

                break;
            case "udp.connectdst":
                if (values.YesNo(option) is { } connect)
                {
                    _settings = _settings with { UdpConnectDestination = connect };
                }

                break;
            case "srchost":
                if (values.ListOf(option, s_sourceHostChecks, "srchost check", "nodnsunknown, nodnsmismatch", (a, b) => a | b) is { } checks)
                {
                    _settings = _settings with { SourceHostChecks = checks };
                }

                break;
            default:
                AddRemaining(option);
                break;
        }
    }

    private void AddRemaining(OptionSyntax option)
    {
        switch (option.Keyword)
        {
            case "compatibility":
                ReadCompatibility(option);
                break;
            case "clientmethod" or "method":
                ClientMethods.Read(option, values);
                break;
            case "user.privileged":
                if (values.Single(option, "a user name") is { } privileged)
                {
                    // Barefoot switches to this user whenever it needs privileges again; Bouncer
                    // never does: after dropping to user.unprivileged the drop is for good.
                    values.Warning(option.Position, "user.privileged: has no effect in Bouncer (it never takes privileges back after dropping to user.unprivileged); accepted for compatibility");
                    _settings = _settings with { Users = _settings.Users with { Privileged = privileged.Text } };
                }

                break;
            case "user.unprivileged" or "user.notprivileged":
                if (values.Single(option, "a user name") is { } unprivileged)
                {
                    _settings = _settings with { Users = _settings.Users with { Unprivileged = unprivileged.Text } };
                }

                break;
            case "internal":
                values.Error(option.Position, "internal: is not used: listen addresses come from each rule's to:");
                break;
            case "socksmethod":
                values.Error(option.Position, Keywords.RejectedRuleOptions["socksmethod"]);
                break;
            default:
                ReportUnknownSetting(option);
                break;
        }
    }

    private void ReportUnknownSetting(OptionSyntax option)
    {
        var keyword = option.Keyword;
        var message = keyword switch
        {
            _ when keyword.StartsWith("socket.sendbuf.", StringComparison.Ordinal) =>
                $"{keyword}: is not supported; use internal.socket.so_sndbuf: or external.socket.so_sndbuf:",
            _ when keyword.StartsWith("socket.recvbuf.", StringComparison.Ordinal) =>
                $"{keyword}: is not supported; use internal.socket.so_rcvbuf: or external.socket.so_rcvbuf:",
            _ when keyword.StartsWith("libwrap.", StringComparison.Ordinal) || keyword == "user.libwrap" =>
                $"{keyword}: is not supported (Bouncer cannot enforce libwrap); restrict clients with from: or a firewall",
            _ when Keywords.CaseMessage(keyword) is { } caseMessage => caseMessage,
            _ when Keywords.IsRuleOption(keyword) =>
                $"{keyword}: is a rule option; it belongs inside a rule (client pass {{ ... }})",
            _ => $"unknown setting '{keyword}'{Keywords.DidYouMean(keyword, Keywords.Settings)}",
        };
        values.Error(option.Position, message);
    }

    private void ReadCompatibility(OptionSyntax option)
    {
        foreach (var word in values.Words(option))
        {
            switch (word.Text)
            {
                case "sameport":
                    _settings = _settings with { SamePort = true };
                    break;
                case "reuseaddr" or "draft-5.05":
                    values.Warning(word.Position, $"compatibility: {word.Text} has no effect in Bouncer; accepted for compatibility");
                    break;
                default:
                    values.Error(word.Position, $"unknown compatibility '{word.Text}' (expected sameport)");
                    break;
            }
        }

        if (option.Values.Length == 0)
        {
            values.Error(option.Position, "compatibility: needs a value (sameport)");
        }
    }

    private void WarnIfRepeated(OptionSyntax option)
    {
        if (s_repeatable.Contains(option.Keyword) || !Keywords.IsSetting(option.Keyword))
        {
            return;
        }

        if (_seen.TryGetValue(option.Keyword, out var first))
        {
            values.Warning(option.Position, $"{option.Keyword}: set again (first at line {first.Line}); the last value counts");
        }
        else
        {
            _seen[option.Keyword] = option.Position;
        }
    }

    /// <summary>The settings with every default applied; names in <c>external:</c> expanded now that the families are known.</summary>
    public Settings Build()
    {
        var externals = new List<IPAddress>();
        foreach (var word in _externalWords)
        {
            externals.AddRange(ReadExternal(word));
        }

        if (_settings.Rotation == ExternalRotation.Route && _externalWords.Count == 0)
        {
            values.Error(_seen["external.rotation"], "external.rotation: route needs external: addresses (the kernel's choice must be one of them)");
        }

        return _settings with
        {
            Externals = [.. externals.Distinct()],
            LogOutput = _logOutput.Count == 0 ? Settings.Defaults.LogOutput : [.. _logOutput],
            ErrorLog = [.. _errorLog],
            SocketOptions = [.. _socketOptions.Values.OrderBy(o => o.Side).ThenBy(o => o.Kind)],
        };
    }

    private IEnumerable<IPAddress> ReadExternal(WordSyntax word)
    {
        if (addresses.Read(word) is not { } literal)
        {
            return [];
        }

        if (literal.HasMask || literal.Form is AddressForm.AnyFamily or AddressForm.Domain)
        {
            values.Error(word.Position, $"external: takes an IP address, hostname or interface name without a netmask, not '{word.Text}'");
            return [];
        }

        if (literal.IsWildcard)
        {
            values.Error(word.Position, $"external: {word.Text} is not an address to send from; leave external: out to let the system choose");
            return [];
        }

        if (literal.IsIP)
        {
            return [literal.Address!];
        }

        return names.Expand(word, literal.Name!, "external:", _settings.ExternalFamilies, "external.protocol") ?? [];
    }
}
