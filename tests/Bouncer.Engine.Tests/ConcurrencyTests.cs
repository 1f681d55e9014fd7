using System.Net.Sockets;
using Bouncer.Engine.Events;
using Bouncer.Engine.Tests.Support;
using static Bouncer.Engine.Tests.Support.RuleBuilder;

namespace Bouncer.Engine.Tests;

public sealed class ConcurrencyTests
{
    private const int Sessions = 1000;

    [Fact(Timeout = 60_000)]
    public async Task Carries_1000_concurrent_sessions_through_one_listener()
    {
        await using var target = TestServer.Echo();
        var listen = TestNet.FreeEndPoint();
        await using var bouncer = await EngineHarness.StartAsync(Table(Pass(1, listen, target.EndPoint)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var clients = new List<Socket>(Sessions);
        try
        {
            // All connected first, so all 1000 sessions are alive at once.
            for (var i = 0; i < Sessions; i++)
            {
                clients.Add(await TestNet.ConnectAsync(listen, cancellationToken: cts.Token));
            }

            await bouncer.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Opened, Sessions, TimeSpan.FromSeconds(30));
            Assert.Equal(Sessions, bouncer.Engine.ActiveSessions);

            await Task.WhenAll(clients.Select((client, i) => ExchangeAsync(client, i, cts.Token)));
            await bouncer.Events.WaitForCountAsync(e => e.Phase == SessionPhase.Closed, Sessions, TimeSpan.FromSeconds(30));
            Assert.All(bouncer.Events.Closed, e => Assert.Equal(EndReason.LocalClientClosed, e.Reason));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task ExchangeAsync(Socket client, int index, CancellationToken cancellationToken)
    {
        var message = BitConverter.GetBytes(index).Concat(new byte[1020]).ToArray();
        await TestNet.SendAllAsync(client, message, cancellationToken);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(message, await TestNet.ReceiveToEndAsync(client, cancellationToken));
    }
}
