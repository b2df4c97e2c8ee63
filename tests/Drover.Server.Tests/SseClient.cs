using System.Collections.Concurrent;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>Reads /v2/events as a plain SSE client: collects (event, data) pairs as they arrive.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _pump;
    public ConcurrentQueue<(string Type, JsonElement Data)> Events { get; } = new();
    public ConcurrentQueue<string> RawLines { get; } = new();

    private SseClient(HttpClient http, Stream stream)
    {
        _http = http;
        _pump = Task.Run(async () =>
        {
            using var reader = new StreamReader(stream);
            string? type = null;
            try
            {
                while (await reader.ReadLineAsync(_cts.Token) is { } line)
                {
                    RawLines.Enqueue(line);
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        using var doc = JsonDocument.Parse(line[6..]);
                        Events.Enqueue((type ?? "", doc.RootElement.Clone()));
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
        });
    }

    public static async Task<SseClient> ConnectAsync(Uri server, string query = "")
    {
        var http = new HttpClient { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        var req = new HttpRequestMessage(HttpMethod.Get, "/v2/events" + query);
        req.Headers.Accept.ParseAdd("text/event-stream");
        var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        resp.EnsureSuccessStatusCode();
        Assert.StartsWith("text/event-stream", resp.Content.Headers.ContentType?.ToString());
        var c = new SseClient(http, await resp.Content.ReadAsStreamAsync());
        await Eventually.Get(() => Task.FromResult(c.Events.Any(e => e.Type == "event_stream_attached") || query.Contains("event_type")), x => x, "attached");
        return c;
    }

    public Task<(string Type, JsonElement Data)> WaitForAsync(Func<(string Type, JsonElement Data), bool> match, string because, TimeSpan? timeout = null) =>
        Eventually.Get(() => Task.FromResult(Events.FirstOrDefault(match)), e => e.Type is not null, because, timeout);

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _http.Dispose();
        try { await _pump; } catch (Exception) { }
    }
}
