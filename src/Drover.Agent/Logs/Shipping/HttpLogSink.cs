using System.Net.Http.Headers;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// POSTs each batch as newline-delimited JSON (Content-Type application/x-ndjson) with the <c>--log-ship-header</c>
/// headers (e.g. Authorization for Vector's http_server auth or a proxy in front of Logstash); anything but a 2xx
/// is a failed send.
/// </summary>
public sealed class HttpLogSink(HttpClient http, Uri uri, IReadOnlyList<CollectorHeader>? headers = null, CollectorTls? tls = null) : ILogSink
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
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = NdJson;
        foreach (var h in headers ?? []) request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        using var res = tls is null
            ? await http.SendAsync(request, ct).ConfigureAwait(false)
            : await tls.ExplainAsync(() => http.SendAsync(request, ct)).ConfigureAwait(false);
        if (!res.IsSuccessStatusCode)
            throw new HttpRequestException($"the collector answered {(int)res.StatusCode} {res.ReasonPhrase}", null, res.StatusCode);
    }

    // the HttpClient is the sender's, shared by every sink it makes
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
