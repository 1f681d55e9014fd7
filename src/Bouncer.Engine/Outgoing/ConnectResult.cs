using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tcp;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// The outcome of connecting a session's outgoing side: a connected <see cref="TcpChannel"/>, or the
/// reason and detail the session ends with. <see cref="Target"/> and <see cref="Outgoing"/> are
/// filled as far as they are known, for the Closed event.
/// </summary>
internal readonly record struct ConnectResult(
    TcpChannel? Channel,
    IPEndPoint? Target,
    IPEndPoint? Outgoing,
    EndReason Reason,
    string? Detail)
{
    public bool Connected => Channel is not null;
}
