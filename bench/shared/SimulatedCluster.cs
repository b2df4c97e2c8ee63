using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;

namespace Drover.Bench;

/// <summary>
/// Simulated agents over the real agent protocol (register, heartbeat every second, report what they are assigned as
/// RUNNING and healthy), and apps created through the API: the population of bench/api and bench/ui
/// (1,000 apps × 10 instances on 100 agents by default). Linked into each bench project.
/// </summary>
public sealed class SimulatedCluster : IAsyncDisposable
{
    private readonly DroverClient _client;
    private readonly List<string> _agentIds = [];
    private readonly ConcurrentDictionary<string, List<TaskStatusReport>> _reported = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;

    private SimulatedCluster(DroverClient client) => _client = client;

    public int TaskCount { get; private set; }

    public static async Task<SimulatedCluster> StartAsync(DroverClient client, int apps, int perApp, int agents)
    {
        var c = new SimulatedCluster(client);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < agents; i++)
        {
            var r = await client.RegisterAgentAsync(new AgentRegistration
            {
                Hostname = $"sim-{i:D4}",
                Endpoint = "http://127.0.0.1:1",
                Resources = new AgentResources { Cpus = 64, MemMb = 256 * 1024, DiskMb = 1_000_000, Ports = [new PortRange(31000, 32000)] },
                Attributes = new Dictionary<string, string> { ["rack"] = $"r{i % 10}" },
            });
            c._agentIds.Add(r.AgentId);
        }
        c._heartbeats = Task.Run(c.HeartbeatLoopAsync);

        await Parallel.ForEachAsync(Enumerable.Range(0, apps), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var json = $$"""{"id":"{{AppId(i)}}","cmd":"sleep 3600","instances":{{perApp}},"cpus":0.01,"mem":16,"labels":{"team":"t{{i % 7}}"},"healthChecks":[{"protocol":"HTTP","path":"/health","intervalSeconds":10}]}""";
            using var doc = JsonDocument.Parse(json);
            await client.CreateAppAsync(doc.RootElement.Clone(), ct);
        });
        Console.WriteLine($"created {apps} apps in {sw.Elapsed.TotalSeconds:0.0}s");

        var total = apps * perApp;
        while (c.TaskCount < total)
        {
            await c.ReportAssignedAsync();
            if (sw.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"only {c.TaskCount}/{total} tasks placed");
        }
        Console.WriteLine($"{total} tasks running on {agents} agents after {sw.Elapsed.TotalSeconds:0.0}s");
        return c;
    }

    public static string AppId(int i) => $"/bench/g{i % 20}/app-{i}";

    /// <summary>One pass over the agents: every assigned task not being killed is reported RUNNING and healthy.</summary>
    public async Task ReportAssignedAsync()
    {
        var running = 0;
        foreach (var id in _agentIds)
        {
            var a = await _client.GetAssignmentsAsync(id, null, TimeSpan.Zero);
            var reports = a.Tasks.Where(t => !t.Kill).Select(t => new TaskStatusReport
            {
                TaskId = t.Spec.TaskId, AppId = t.Spec.AppId, State = "TASK_RUNNING",
                HealthCheckResults = [new HealthCheckResult { Alive = true, Status = "passing", TaskId = t.Spec.TaskId }],
            }).ToList();
            if (reports.Count > 0) await _client.ReportStatusAsync(id, reports);
            _reported[id] = reports;
            running += reports.Count;
        }
        TaskCount = running;
    }

    private async Task HeartbeatLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                foreach (var id in _agentIds)
                    await _client.HeartbeatAsync(id, new AgentHeartbeat { Tasks = _reported.TryGetValue(id, out var l) ? l : [] }).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or DroverApiException)
            {
                // a real agent retries too; a slow server must not end the simulation
                if (!_stop.IsCancellationRequested) Console.WriteLine($"  (heartbeat failed: {e.Message})");
            }
            try { await Task.Delay(1000, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        await _heartbeats;
        _stop.Dispose();
    }
}
