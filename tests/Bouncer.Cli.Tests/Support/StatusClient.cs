using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>GETs from the daemon's <c>--status</c> endpoint over a raw socket (no HttpClient pooling or retries to hide a misbehaviour).</summary>
internal static class StatusClient
{
    public sealed record Response(int Status, string ContentType, string Body);

    public static async Task<Response> GetAsync(IPEndPoint endpoint, string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {endpoint}\r\n\r\n"), SocketFlags.None, timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            throw new InvalidDataException($"no complete response head: {text}");
        }

        var head = text[..headEnd].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var contentType = head.FirstOrDefault(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?["Content-Type:".Length..].Trim() ?? string.Empty;
        return new Response(status, contentType, text[(headEnd + 4)..]);
    }

    public static async Task<PrometheusText> MetricsAsync(IPEndPoint endpoint)
    {
        var response = await GetAsync(endpoint, "/metrics");
        if (response.Status != 200)
        {
            throw new InvalidDataException($"/metrics answered {response.Status}: {response.Body}");
        }

        return PrometheusText.Parse(response.Body);
    }
}
