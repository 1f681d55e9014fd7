namespace Bouncer.Engine.Sessions;

/// <summary>The two legs of a session: the client that reached us, and the target we reached.</summary>
internal enum SessionSide
{
    Client,
    Target,
}
