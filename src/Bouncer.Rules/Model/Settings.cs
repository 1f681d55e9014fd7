using System.Collections.Immutable;
using System.Net;

namespace Bouncer.Rules.Model;

/// <summary>Privilege settings (design §5.4); null when not set.</summary>
public sealed record UserSettings(string? Privileged, string? Unprivileged)
{
    public static UserSettings None { get; } = new(null, null);
}

/// <summary>The global settings of a rule file, with every default applied.</summary>
public sealed record Settings(
    ImmutableArray<IPAddress> Externals,
    ExternalRotation Rotation,
    AddressFamilies ExternalFamilies,
    AddressFamilies InternalFamilies,
    ImmutableArray<LogDestination> LogOutput,
    ImmutableArray<LogDestination> ErrorLog,
    int Debug,
    Timeouts Timeouts,
    bool UdpConnectDestination,
    SourceHostChecks SourceHostChecks,
    bool SamePort,
    ImmutableArray<SocketOption> SocketOptions,
    UserSettings Users)
{
    public static Settings Defaults { get; } = new(
        ImmutableArray<IPAddress>.Empty,
        ExternalRotation.None,
        AddressFamilies.Both,
        AddressFamilies.Both,
        [LogDestination.Stderr],
        ImmutableArray<LogDestination>.Empty,
        0,
        Timeouts.Defaults,
        true,
        SourceHostChecks.None,
        false,
        ImmutableArray<SocketOption>.Empty,
        UserSettings.None);
}
