using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Udp;

/// <summary>
/// What the UDP relay asks of the protocol-neutral session policy (matching, limits, target and
/// source address, bandwidth) when a new client address appears. The relay itself only moves datagrams.
/// </summary>
internal interface IUdpSessionPolicy
{
    /// <summary>First match among the listener's rules for protocol udp; <see cref="Rule.ImplicitBlock"/> when none.</summary>
    ValueTask<Rule> MatchAsync(Listener listener, IPEndPoint client, IPEndPoint local, CancellationToken cancellationToken);

    /// <summary>Takes a session slot of <paramref name="rule"/> for <paramref name="client"/>; null when a limit is reached. Disposing the lease frees the slot.</summary>
    IDisposable? TryAdmit(Rule rule, IPAddress client);

    /// <summary>The address and port to forward to; null when the target's name does not resolve.</summary>
    ValueTask<IPEndPoint?> ResolveTargetAsync(Rule rule, IPEndPoint local, CancellationToken cancellationToken);

    /// <summary>The local source address of the outgoing socket, or null to let the OS choose.</summary>
    IPAddress? ChooseSource(Rule rule, Settings settings, IPEndPoint local, IPEndPoint target);

    /// <summary>The rule's shared bandwidth, or null when it has none.</summary>
    IBandwidthGate? GetBandwidth(Rule rule);
}

/// <summary>A byte budget shared by all sessions of one rule.</summary>
internal interface IBandwidthGate
{
    /// <summary>Takes <paramref name="bytes"/> if they are available now.</summary>
    bool TryTake(int bytes);

    /// <summary>Waits until <paramref name="bytes"/> may pass.</summary>
    ValueTask TakeAsync(int bytes, CancellationToken cancellationToken);
}
