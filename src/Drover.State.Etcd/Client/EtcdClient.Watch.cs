using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Drover.State.Etcd.Client;

public sealed partial class EtcdClient
{
    /// <summary>
    /// Opens one watch stream (<c>POST /v3/watch</c>) on the first endpoint that accepts it and yields its responses.
    /// The sequence ends when the stream ends; the caller resumes from the last revision it saw. An error object in
    /// the stream throws <see cref="EtcdException"/>; a connection failure on every endpoint throws
    /// <see cref="EtcdUnavailableException"/>.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest create, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (response, index) = await OpenWatchAsync(create, ct).ConfigureAwait(false);
        using (response)
        {
            _preferred = index;
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            // The gateway writes one JSON object per line: {"result":{…}} or {"error":{…}}.
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                var envelope = JsonSerializer.Deserialize(line, Json.WatchEnvelope)
                    ?? throw new EtcdException($"{Endpoints[index]}: empty watch message");
                if (envelope.Error is { } error) throw new EtcdException(error.Error ?? error.Message ?? line, error.Code);
                if (envelope.Result is { } result) yield return result;
            }
        }
    }

    private async Task<(HttpResponseMessage, int)> OpenWatchAsync(WatchCreateRequest create, CancellationToken ct)
    {
        var failures = new List<string>();
        Exception? last = null;
        var start = _preferred;
        for (var attempt = 0; attempt < Endpoints.Count; attempt++)
        {
            var index = (start + attempt) % Endpoints.Count;
            var endpoint = Endpoints[index];
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/v3/watch"))
                {
                    Content = JsonContent.Create(new WatchRequest(create), Json.WatchRequest),
                };
                var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return (response, index);
                var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
                response.Dispose();
                failures.Add($"{endpoint}: {error.Error ?? error.Message}");
                last = new EtcdException(error.Error ?? error.Message ?? "watch refused", error.Code);
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
            {
                failures.Add($"{endpoint}: {ex.Message}");
                last = ex;
            }
        }
        throw new EtcdUnavailableException($"etcd unavailable for /v3/watch: {string.Join("; ", failures)}", last);
    }
}
