using System.Diagnostics;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/api: GET /v2/apps?embed=apps.tasks with 1,000 apps / 10,000 running tasks on 100 simulated
// agents (registered and reporting over the real agent protocol). Target: p99 < 100 ms.
var apps = Arg("--apps", 1000);
var perApp = Arg("--instances", 10);
var agents = Arg("--agents", 100);
var requests = Arg("--requests", 300);
var concurrency = Arg("--concurrency", 4);
var dataDir = Path.Combine(Path.GetTempPath(), "drover-bench-api-" + Environment.ProcessId);

await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
using var client = new DroverClient(server.Url);
Console.WriteLine($"bench/api: server {server.Url}, sqlite state in {dataDir}");

await using var cluster = await Drover.Bench.SimulatedCluster.StartAsync(client, apps, perApp, agents);
var total = cluster.TaskCount;

using var http = new HttpClient { BaseAddress = server.Url };
var first = await http.GetByteArrayAsync("/v2/apps?embed=apps.tasks");
using (var check = JsonDocument.Parse(first))
{
    var tasks = check.RootElement.GetProperty("apps").EnumerateArray().Sum(a => a.GetProperty("tasks").GetArrayLength());
    if (tasks != total) throw new InvalidOperationException($"response has {tasks} tasks, expected {total}");
}
Console.WriteLine($"response: {first.Length / 1024.0 / 1024.0:0.00} MiB");

for (var i = 0; i < 20; i++) await http.GetByteArrayAsync("/v2/apps?embed=apps.tasks"); // warm-up
var store = (Drover.State.IStateStore)server.Services.GetService(typeof(Drover.State.IStateStore))!;
var indexBefore = store.Current.Index;
var latencies = new List<double>();
var wall = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, ct) =>
{
    var t = Stopwatch.StartNew();
    using var resp = await http.GetAsync("/v2/apps?embed=apps.tasks", HttpCompletionOption.ResponseHeadersRead, ct);
    resp.EnsureSuccessStatusCode();
    // read the whole body into a reused buffer: the client's own allocations are not the server's latency
    await using var body = await resp.Content.ReadAsStreamAsync(ct);
    var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
    long bytes = 0;
    int n;
    while ((n = await body.ReadAsync(buffer, ct)) > 0) bytes += n;
    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    if (bytes < first.Length / 2) throw new InvalidOperationException($"short response: {bytes} bytes");
    var ms = t.Elapsed.TotalMilliseconds;
    lock (latencies) latencies.Add(ms);
});
wall.Stop();
latencies.Sort();
Console.WriteLine($"  state writes during the measurement: {store.Current.Index - indexBefore}");
double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
Console.WriteLine($"GET /v2/apps?embed=apps.tasks  apps={apps} tasks={total} requests={requests} concurrency={concurrency}");
Console.WriteLine($"  p50={P(0.50):0.0} ms  p90={P(0.90):0.0} ms  p99={P(0.99):0.0} ms  max={latencies[^1]:0.0} ms  throughput={requests / wall.Elapsed.TotalSeconds:0.0} req/s");
Console.WriteLine($"  target p99 < 100 ms: {(P(0.99) < 100 ? "MET" : "NOT MET")}   (Marathon: ~12 s at 1,000 tasks)");
Console.WriteLine($"  server process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");

// worst case: state changed since the last poll, so the answer is rendered from scratch every time
var cold = new List<double>();
for (var i = 0; i < 50; i++)
{
    var t = Stopwatch.StartNew();
    using var resp = await http.GetAsync($"/v2/apps?embed=apps.tasks&nocache={i}", HttpCompletionOption.ResponseContentRead);
    resp.EnsureSuccessStatusCode();
    cold.Add(t.Elapsed.TotalMilliseconds);
}
cold.Sort();
Console.WriteLine($"  rendered from scratch (a write between every poll), 1 client: p50={cold[24]:0.0} ms  p99={cold[^1]:0.0} ms");

await cluster.DisposeAsync();
await server.StopAsync();
try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
