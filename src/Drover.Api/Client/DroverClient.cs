using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Drover.Api.Marathon;

namespace Drover.Api.Client;

/// <summary>
/// Typed client for the Drover server. The CLI, agents and lb talk to the server only through this.
/// Split by concern into partial files (apps, tasks, agents protocol).
/// </summary>
public sealed partial class DroverClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public DroverClient(Uri baseAddress, string? token = null, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = baseAddress;
        _http.Timeout = Timeout.InfiniteTimeSpan; // long polls and log follows set their own deadlines
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        _ownsHttp = true;
    }

    public DroverClient(HttpClient http)
    {
        _http = http;
        _ownsHttp = false;
    }

    public Uri BaseAddress => _http.BaseAddress!;
    public HttpClient Http => _http;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> type, CancellationToken ct, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        using var req = new HttpRequestMessage(method, path) { Content = body };
        req.Headers.Accept.ParseAdd("application/json");
        using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(resp, cts.Token).ConfigureAwait(false);
        var result = await resp.Content.ReadFromJsonAsync(type, cts.Token).ConfigureAwait(false);
        return result ?? throw new DroverApiException(resp.StatusCode, $"empty response from {method} {path}");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(DefaultTimeout);
        using var req = new HttpRequestMessage(method, path) { Content = body };
        using var resp = await _http.SendAsync(req, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(resp, cts.Token).ConfigureAwait(false);
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        if (resp.IsSuccessStatusCode) return;
        var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        MessageResponse? msg = null;
        try { msg = JsonSerializer.Deserialize(text, ApiJsonContext.Default.MessageResponse); }
        catch (JsonException) { }
        var message = msg?.Message ?? (string.IsNullOrWhiteSpace(text) ? resp.ReasonPhrase ?? "request failed" : text.Trim());
        throw new DroverApiException(resp.StatusCode, message, msg?.Details, NotApplied.IsMarked(resp));
    }

    private static JsonContent Json<T>(T value, JsonTypeInfo<T> type) => JsonContent.Create(value, type);

    internal static string Escape(string id) => string.Join('/', id.Split('/').Select(Uri.EscapeDataString));

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            using var resp = await _http.GetAsync("/ping", ct).ConfigureAwait(false);
            return resp.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException) { return false; }
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
