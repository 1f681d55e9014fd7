using System.Collections.Immutable;
using System.Net;

namespace Bouncer.Rules.Model;

/// <summary>
/// One compiled <c>client pass|block { }</c> object. Immutable: a live session keeps a reference
/// to the rule it matched for its whole life, across reloads. Number 0 is the implicit block.
/// </summary>
public sealed record Rule(
    int Number,
    Verdict Verdict,
    Protocols Protocols,
    ClientSelector From,
    ListenSelector To,
    BounceTarget? Target,
    LogEvents Log,
    Timeouts Timeouts,
    SessionLimits Limits,
    long? BandwidthBytesPerSecond,
    IPAddress? RedirectFrom,
    ImmutableArray<SocketOption> SocketOptions,
    SourcePosition Position)
{
    /// <summary>"pass(3)" / "block(0)", as the log writes it.</summary>
    public string Label => $"{(Verdict == Verdict.Pass ? "pass" : "block")}({Number})";

    /// <summary>The rule that decides when no rule matches.</summary>
    public static Rule ImplicitBlock { get; } = new(
        0,
        Verdict.Block,
        Protocols.Both,
        new ClientSelector(AnyAddressPattern.Instance, PortMatch.Any),
        new ListenSelector("0/0", ImmutableArray<ListenEndpoint>.Empty),
        null,
        LogEvents.None,
        Timeouts.Defaults,
        SessionLimits.None,
        null,
        null,
        ImmutableArray<SocketOption>.Empty,
        default);
}
