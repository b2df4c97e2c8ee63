using System.Diagnostics;
using System.Text.Json;
using Drover.Agent;
using Drover.Api.Client;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/taskstart: API call → task RUNNING with the process driver (server + agent, SQLite state,
// real processes). Each round creates an app with one `sleep` task and polls until it runs.
// Target: median < 150 ms.
var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 50;
var root = Path.Combine(Path.GetTempPath(), "drover-bench-taskstart-" + Environment.ProcessId);
using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(root, "server") },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
await using var agent = new DroverAgent(new AgentOptions
{
    ServerUrl = server.Url.ToString().TrimEnd('/'), DataDir = Path.Combine(root, "agent"), Hostname = "bench", Ports = "33000-33999",
    KillTasksOnStop = true,
}, loggers);
await agent.StartAsync();
await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30));
using var client = new DroverClient(server.Url);

var samples = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var id = $"/bench/start-{i}";
    using var doc = JsonDocument.Parse($$"""{"id":"{{id}}","cmd":"exec sleep 600","instances":1,"cpus":0.01,"mem":8}""");
    var sw = Stopwatch.StartNew();
    await client.PutAppAsync(id, doc.RootElement);
    while (true)
    {
        var tasks = await client.ListTasksAsync(id);
        if (tasks.Count == 1 && tasks[0].State == "TASK_RUNNING") break;
        if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"{id} did not start");
        await Task.Delay(2);
    }
    samples.Add(sw.Elapsed.TotalMilliseconds);
    await client.DeleteAppAsync(id);
}
samples.Sort();
Console.WriteLine($"task start (PUT /v2/apps → TASK_RUNNING, process driver), {rounds} rounds:");
Console.WriteLine($"  median={samples[samples.Count / 2]:0.0} ms  p90={samples[(int)(samples.Count * 0.9)]:0.0} ms  min={samples[0]:0.0} ms  max={samples[^1]:0.0} ms");
Console.WriteLine($"  target median < 150 ms: {(samples[samples.Count / 2] < 150 ? "MET" : "NOT MET")}");
await agent.StopAsync();
await server.StopAsync();
try { Directory.Delete(root, recursive: true); } catch (IOException) { }
