using Bouncer.Rules.Model;

namespace Bouncer.Engine.Sessions;

/// <summary>The rule a new session fell under, and the settings of the table it was decided in.</summary>
internal readonly record struct SessionDecision(SessionIdentity Identity, Settings Settings)
{
    public Rule Rule => Identity.Rule;
}
