using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Bouncer.Engine.Tcp;

/// <summary>One lane: <see cref="Socket.AcceptAsync(CancellationToken)"/> on the runtime's socket engine.</summary>
internal sealed class SocketTcpAcceptor(Socket listener) : TcpAcceptor
{
    public override int Lanes => 1;

    /// <remarks>Pooled: a box per accept that waits would be an allocation per connection the runtime's own accept does not make.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<TcpChannel> AcceptAsync(int lane, CancellationToken cancellationToken)
    {
        var accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new SocketTcpChannel(accepted);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }
    }

    /// <remarks>Closing the listener, which its owner does next, ends a pending accept.</remarks>
    public override void Dispose()
    {
    }
}
