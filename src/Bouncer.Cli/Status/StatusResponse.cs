namespace Bouncer.Cli.Status;

/// <summary>What the status server sends for one request: a status code, a content type and a whole body.</summary>
internal sealed record StatusResponse(int Status, string ContentType, byte[] Body)
{
    public static StatusResponse Text(int status, string text) =>
        new(status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text + "\n"));
}
