using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Tests;

/// <summary>A real server on 127.0.0.1:0 with in-memory state, and helpers to act as an agent over the real protocol.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public DroverServer Server { get; }
    public DroverClient Client { get; }
    public HttpClient Http { get; }

    private TestServer(DroverServer server)
    {
        Server = server;
        Client = new DroverClient(server.Url);
        Http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// Waits until no deployment runs. A change to an app whose deployment still runs is refused
    /// with 409 (as in Marathon), and tasks reported running do not end the deployment at once:
    /// the deployment monitor notices a moment later.
    /// </summary>
    public Task DeploymentsFinishedAsync(string because = "deployments finished") =>
        Eventually.Get(() => Http.GetStringAsync("/v2/deployments"), s => s == "[]", because);

    public StateWriter Writer => (StateWriter)Server.Services.GetService(typeof(StateWriter))!;

    /// <summary>
    /// What API writes store (apps, their versions, groups, deployments) by key and modify index: equal
    /// before and after a refused request means it wrote nothing. Apps are all created by the test,
    /// so background writers (deployment progress marks) only move it while a deployment runs.
    /// </summary>
    public string StoredFingerprint() => string.Join(",",
        new[] { "apps", "app-versions", "groups", "deployments" }.SelectMany(c => Writer.Current.Entries(c).Values.Select(e => $"{c}:{e.Key}@{e.ModifyIndex}")));

    public static async Task<TestServer> StartAsync(ServerOptions? options = null, TimeProvider? time = null)
    {
        var server = await DroverServer.CreateAsync((options ?? new ServerOptions()) with { Listen = "127.0.0.1:0" },
            logging: b => b.SetMinimumLevel(LogLevel.Warning), time);
        await server.StartAsync();
        return new TestServer(server);
    }

    public async Task<string> RegisterAgentAsync(string hostname, double cpus = 4, double mem = 4096, int portBegin = 31000, int portEnd = 31100,
        Dictionary<string, string>? attributes = null)
    {
        var r = await Client.RegisterAgentAsync(new AgentRegistration
        {
            Hostname = hostname,
            Endpoint = "http://127.0.0.1:1",
            Resources = new AgentResources { Cpus = cpus, MemMb = mem, DiskMb = 10000, Ports = [new PortRange(portBegin, portEnd)] },
            Attributes = attributes ?? new Dictionary<string, string>(),
        });
        return r.AgentId;
    }

    public async Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string json)
    {
        using var req = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await Http.SendAsync(req);
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage resp)
    {
        var text = await resp.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Long-polls assignments until <paramref name="until"/> holds, or fails after the deadline.</summary>
    public async Task<AgentAssignments> AssignmentsAsync(string agentId, Func<AgentAssignments, bool> until, TimeSpan? deadline = null)
    {
        var end = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(20));
        string? fp = null;
        while (true)
        {
            var left = end - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("assignments never reached the expected state");
            var a = await Client.GetAssignmentsAsync(agentId, fp, left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
            if (until(a)) return a;
            fp = a.Fingerprint;
        }
    }

    public Task ReportAsync(string agentId, params (string TaskId, string AppId, string State)[] reports) =>
        Client.ReportStatusAsync(agentId, reports.Select(r => new TaskStatusReport { TaskId = r.TaskId, AppId = r.AppId, State = r.State }).ToList());

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}

public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T>> probe, Func<T, bool> ok, string because, TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        T last;
        while (true)
        {
            last = await probe();
            if (ok(last)) return last;
            if (DateTime.UtcNow > end) throw new Xunit.Sdk.XunitException($"timed out waiting: {because}; last value: {last}");
            await Task.Delay(50);
        }
    }
}
