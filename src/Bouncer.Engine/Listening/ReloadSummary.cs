namespace Bouncer.Engine;

/// <summary>What applying a rule table did to the listeners.</summary>
public sealed record ReloadSummary(int Opened, int Kept, int Closed)
{
    public override string ToString() => $"listeners: {Opened} opened, {Kept} kept, {Closed} closed";
}
