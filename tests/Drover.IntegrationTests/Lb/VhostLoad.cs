using System.Collections.Concurrent;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// Keeps requests for one virtual host going through HAProxy from a few clients, counting which task answered and
/// every failure (non-2xx or connection error), until stopped.
/// </summary>
internal sealed class VhostLoad : IAsyncDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(1) }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private long _requests;

    public VhostLoad(int port, string host, int clients)
    {
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/") { Headers = { Host = host } };
                    using var r = await _http.SendAsync(req);
                    Interlocked.Increment(ref _requests);
                    if (r.IsSuccessStatusCode) Served.AddOrUpdate(await r.Content.ReadAsStringAsync(), 1, (_, n) => n + 1);
                    else Failures.Enqueue($"HTTP {(int)r.StatusCode}");
                }
                catch (HttpRequestException e) { Failures.Enqueue(e.Message); }
            }
        }))];
    }

    /// <summary>Answers per body (the echo app answers with its task id).</summary>
    public ConcurrentDictionary<string, int> Served { get; } = new();
    public ConcurrentQueue<string> Failures { get; } = new();
    public long Requests => Interlocked.Read(ref _requests);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
        _http.Dispose();
    }
}
