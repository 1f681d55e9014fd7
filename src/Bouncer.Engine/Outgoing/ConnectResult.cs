using System.Net;
using System.Net.Sockets;
using Bouncer.Engine.Events;

namespace Bouncer.Engine.Outgoing;

/// <summary>
/// The outcome of connecting a session's outgoing side: a connected <see cref="Socket"/>, or the
/// reason and detail the session ends with. <see cref="Target"/> and <see cref="Outgoing"/> are
/// filled as far as they are known, for the Closed event.
/// </summary>
internal readonly record struct ConnectResult(
    Socket? Socket,
    IPEndPoint? Target,
    IPEndPoint? Outgoing,
    EndReason Reason,
    string? Detail)
{
    public bool Connected => Socket is not null;
}
