namespace Bouncer.Engine.Tcp;

/// <summary>
/// Takes the connections of one listening socket. A transport may accept on several lanes at
/// once (one per waiting thread): the accept loop runs one loop per lane, and a connection accepted
/// on a lane is served there.
/// </summary>
internal abstract class TcpAcceptor : IDisposable
{
    public abstract int Lanes { get; }

    /// <summary>
    /// The next connection on <paramref name="lane"/>, as a channel served there; fails with
    /// OperationAborted once disposed.
    /// </summary>
    public abstract ValueTask<TcpChannel> AcceptAsync(int lane, CancellationToken cancellationToken);

    /// <summary>Ends every pending accept; the listening socket is the caller's to close.</summary>
    public abstract void Dispose();
}
