using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Drover.Api.Client;

/// <summary>The Marathon event stream (GET /v2/events, Server-Sent Events).</summary>
public sealed partial class DroverClient
{
    public sealed record StreamEvent(string Type, JsonElement Data);

    /// <summary>Yields events as they arrive until <paramref name="ct"/> fires or the server closes the stream.</summary>
    public async IAsyncEnumerable<StreamEvent> StreamEventsAsync(IReadOnlyList<string>? types = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var query = types is { Count: > 0 } ? "?" + string.Join("&", types.Select(t => "event_type=" + Uri.EscapeDataString(t))) : "";
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v2/events" + query);
        req.Headers.Accept.ParseAdd("text/event-stream");
        using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(resp, ct).ConfigureAwait(false);
        await using var body = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        string? type = null;
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                JsonElement data;
                try
                {
                    using var doc = JsonDocument.Parse(line[6..]);
                    data = doc.RootElement.Clone();
                }
                catch (JsonException) { continue; }
                yield return new StreamEvent(type ?? (data.TryGetProperty("eventType", out var t) ? t.GetString() ?? "" : ""), data);
            }
        }
    }
}
