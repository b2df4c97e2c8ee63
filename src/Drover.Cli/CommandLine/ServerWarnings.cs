namespace Drover.Cli.CommandLine;

/// <summary>
/// Shows the server's Warning headers (RFC 7234, "199 drover \"…\"") on stderr, e.g. the unknown
/// fields it ignored when `app apply --allow-unknown` sent them.
/// </summary>
public sealed class ServerWarnings(TextWriter err, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        if (response.Headers.Warning.Count > 0)
        {
            lock (err)
            {
                foreach (var w in response.Headers.Warning) err.WriteLine($"drover: the server warns: {w.Text.Trim('"')}");
            }
        }
        return response;
    }
}
