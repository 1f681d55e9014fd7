using System.Text;

namespace Bouncer.Cli.Status;

/// <summary>What the status server sends for one request: a status code, a content type and a whole body, which the sender disposes.</summary>
internal sealed record StatusResponse(int Status, string ContentType, PooledBody Body) : IDisposable
{
    public static StatusResponse Text(int status, string text) =>
        new(status, "text/plain; charset=utf-8", PooledBody.Of(Encoding.UTF8.GetBytes(text + "\n")));

    public void Dispose() => Body.Dispose();
}
