using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.Matching;

/// <summary>
/// First-match rule decision for a new TCP connection or UDP client flow. The seam where the
/// engine's own <see cref="SessionMatcher"/> can be replaced by the shared matcher of Bouncer.Rules.
/// </summary>
internal interface ISessionMatcher
{
    /// <summary>
    /// The first rule of <paramref name="rules"/> (a listener's rules, in file order) whose protocol,
    /// <c>from:</c> and <c>to:</c> match; <see cref="Rule.ImplicitBlock"/> when none does.
    /// </summary>
    ValueTask<Rule> MatchAsync(
        ImmutableArray<Rule> rules,
        TransportProtocol protocol,
        IPEndPoint client,
        IPEndPoint local,
        CancellationToken cancellationToken);
}
