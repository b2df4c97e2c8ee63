using System.Net.Http.Headers;

namespace Drover.Agent.Logs.Shipping;

/// <summary>POSTs each batch as newline-delimited JSON (Content-Type application/x-ndjson); anything but a 2xx is a failed send.</summary>
public sealed class HttpLogSink(HttpClient http, Uri uri) : ILogSink
{
    private static readonly MediaTypeHeaderValue NdJson = new("application/x-ndjson");

    public async Task SendAsync(IReadOnlyList<byte[]> lines, CancellationToken ct)
    {
        var body = new byte[lines.Sum(l => l.Length)];
        var at = 0;
        foreach (var line in lines)
        {
            line.CopyTo(body, at);
            at += line.Length;
        }
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = NdJson;
        using var res = await http.PostAsync(uri, content, ct).ConfigureAwait(false);
        if (!res.IsSuccessStatusCode)
            throw new HttpRequestException($"the collector answered {(int)res.StatusCode} {res.ReasonPhrase}", null, res.StatusCode);
    }

    // the HttpClient is the sender's, shared by every sink it makes
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
