using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Drover.Agent.Docker;

/// <summary>
/// A small typed client of the Docker Engine API over its unix socket, pinned to API v1.41 (Docker 20.10,
/// Debian 12's docker.io; later engines still serve it). No Docker SDK restores here, and Drover needs only
/// a few calls. Streaming calls (logs, events, pull progress) hand back the open response body.
/// </summary>
public sealed partial class DockerClient : IDisposable
{
    public const string ApiVersion = "1.41";
    public const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>Requests that do not stream get this long unless they say otherwise.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    public DockerClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            // Connections are local and cheap; a daemon restart must not leave us on dead ones.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        // The host name is a placeholder: the connection always goes to the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri($"http://docker/v{ApiVersion}/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    /// <summary>GET /_ping: true when the daemon answers OK.</summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync("ping", HttpMethod.Get, "/_ping", null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        return (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim() == "OK";
    }

    /// <summary>GET /version (unversioned, so it answers whatever API version the daemon speaks).</summary>
    public async Task<DockerVersion> VersionAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync("version", HttpMethod.Get, "/version", null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, DockerJsonContext.Default.DockerVersion, "version", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request; a non-2xx answer becomes a <see cref="DockerApiException"/> carrying Docker's message,
    /// except the statuses in <paramref name="allowed"/>, which are returned for the caller to judge.
    /// </summary>
    /// <param name="path">Relative to the pinned API version ("containers/json"), or absolute ("/_ping") for unversioned paths.</param>
    /// <param name="timeout">Null for streams, which last as long as <paramref name="ct"/> allows.</param>
    private async Task<HttpResponseMessage> SendAsync(string operation, HttpMethod method, string path, HttpContent? content,
        TimeSpan? timeout, CancellationToken ct, HttpStatusCode[]? allowed = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (headers is not null) foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t) cts.CancelAfter(t);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DockerApiException(operation, null, $"cannot reach the Docker daemon at {SocketPath}: {Innermost(e).Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DockerApiException(operation, null, $"no answer from the Docker daemon at {SocketPath} within {timeout?.TotalSeconds:0}s", e);
        }
        if (response.IsSuccessStatusCode || (allowed is not null && allowed.Contains(response.StatusCode))) return response;
        using (response)
        {
            throw new DockerApiException(operation, response.StatusCode, await ErrorMessageAsync(response, ct).ConfigureAwait(false));
        }
    }

    /// <summary>Docker's error body is {"message": "..."}; anything else is passed on as text.</summary>
    internal static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return $"(error body unreadable: {e.Message})";
        }
        return ErrorMessage(text);
    }

    /// <summary>The message of an error body: Docker's "message" field, else the trimmed text (capped), else "(no message)".</summary>
    public static string ErrorMessage(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                if (JsonSerializer.Deserialize(trimmed, DockerJsonContext.Default.DockerErrorBody)?.Message is { Length: > 0 } m) return m.Trim();
            }
            catch (JsonException)
            {
                // not Docker's shape: show the text
            }
        }
        if (trimmed.Length == 0) return "(no message)";
        return trimmed.Length > 500 ? trimmed[..500] + "…" : trimmed;
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string operation, CancellationToken ct)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(body, type, ct).ConfigureAwait(false)
                ?? throw new DockerProtocolException($"docker {operation}: the daemon answered null");
        }
        catch (JsonException e)
        {
            throw new DockerProtocolException($"docker {operation}: the daemon's answer is not the expected JSON: {e.Message}", e);
        }
    }

    private static StringContent Json<T>(T value, JsonTypeInfo<T> type) =>
        new(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json");

    private static string Escape(string s) => Uri.EscapeDataString(s);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    public void Dispose() => _http.Dispose();
}
