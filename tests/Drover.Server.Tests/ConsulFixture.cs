using System.Net;
using System.Text;
using System.Text.Json;
using Drover.Server.Discovery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Tests;

/// <summary>A real server for the Consul API tests: optional fake time, script checks allowed on request.</summary>
public sealed class ConsulServer : IAsyncDisposable
{
    public DroverServer Server { get; }
    public HttpClient Http { get; }

    private ConsulServer(DroverServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<ConsulServer> StartAsync(TimeProvider? time = null, bool scripts = false, string? dataDir = null)
    {
        var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir }, b => b.SetMinimumLevel(LogLevel.Warning), time);
        server.Services.GetRequiredService<DiscoveryOptions>().EnableScriptChecks = scripts;
        await server.StartAsync();
        return new ConsulServer(server);
    }

    public StateWriter Writer => Server.Services.GetRequiredService<StateWriter>();

    public Task<HttpResponseMessage> PutAsync(string path, string body = "") =>
        Http.PutAsync(path, new StringContent(body, Encoding.UTF8));

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var resp = await Http.GetAsync(path);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)resp.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public async Task RegisterAsync(string json)
    {
        using var resp = await PutAsync("/v1/agent/service/register", json);
        Assert.True(resp.StatusCode == HttpStatusCode.OK, $"register: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
    }

    /// <summary>The aggregated status of one instance from /v1/health/service (worst of its checks), or null if absent.</summary>
    public async Task<string?> StatusAsync(string service, string id)
    {
        var list = await GetJsonAsync($"/v1/health/service/{service}");
        foreach (var e in list.EnumerateArray())
        {
            if (e.GetProperty("Service").GetProperty("ID").GetString() != id) continue;
            var statuses = e.GetProperty("Checks").EnumerateArray().Select(c => c.GetProperty("Status").GetString()).ToList();
            return statuses.Contains("critical") ? "critical" : statuses.Contains("warning") ? "warning" : "passing";
        }
        return null;
    }

    public async Task<string?> CheckOutputAsync(string checkId)
    {
        var checks = await GetJsonAsync("/v1/agent/checks");
        return checks.TryGetProperty(checkId, out var c) ? c.GetProperty("Output").GetString() : null;
    }

    public static long Index(HttpResponseMessage resp) => long.Parse(resp.Headers.GetValues("X-Consul-Index").Single());

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>A minimal HTTP endpoint on 127.0.0.1:0 answering every request with <see cref="Status"/> (for HTTP check tests).</summary>
public sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TinyHttpServer()
    {
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public volatile int Status = 200;
    public int Requests;
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/health";

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        var buf = new byte[8192];
                        var got = new StringBuilder();
                        while (!got.ToString().Contains("\r\n\r\n"))
                        {
                            var n = await stream.ReadAsync(buf, _stop.Token);
                            if (n == 0) return;
                            got.Append(Encoding.ASCII.GetString(buf, 0, n));
                        }
                        Interlocked.Increment(ref Requests);
                        var body = $"status {Status}";
                        var resp = $"HTTP/1.1 {Status} Whatever\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(resp), _stop.Token);
                    }
                    catch (Exception)
                    {
                        // client went away
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
