using System.Diagnostics;
using System.Text.Json;
using Drover.Agent;
using Drover.Api.Client;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/deploy: time to deploy, then roll (new config, default upgradeStrategy 1/1), N instances of a
// quick-starting app on one real agent (process driver). The roll ends with deployment_success.
var instances = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 100;
var root = Path.Combine(Path.GetTempPath(), "drover-bench-deploy-" + Environment.ProcessId);
using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(root, "server") },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
await using var agent = new DroverAgent(new AgentOptions
{
    ServerUrl = server.Url.ToString().TrimEnd('/'), DataDir = Path.Combine(root, "agent"), Hostname = "bench",
    Ports = "35000-35999", Cpus = 64, MemMb = 65536, KillTasksOnStop = true,
}, loggers);
await agent.StartAsync();
await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30));
using var client = new DroverClient(server.Url);

async Task<TimeSpan> DeployAsync(string version)
{
    var json = $$$"""{"id":"/bench/roll","cmd":"exec sleep 3600","instances":{{{instances}}},"cpus":0.01,"mem":4,"env":{"V":"{{{version}}}"} }""";
    using var doc = JsonDocument.Parse(json);
    using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
    var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
    var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    string? id = null;
    var listen = Task.Run(async () =>
    {
        await foreach (var e in client.StreamEventsAsync(["deployment_success", "deployment_failed", "event_stream_attached"], cts.Token))
        {
            if (e.Type == "event_stream_attached") { attached.TrySetResult(); continue; }
            if (e.Data.GetProperty("id").GetString() == Volatile.Read(ref id)) { done.TrySetResult(e.Type); return; }
        }
    });
    await attached.Task.WaitAsync(cts.Token);
    var sw = Stopwatch.StartNew();
    var r = await client.PutAppAsync("/bench/roll", doc.RootElement, ct: cts.Token);
    Volatile.Write(ref id, r.DeploymentId);
    var outcome = await done.Task.WaitAsync(cts.Token);
    sw.Stop();
    if (outcome != "deployment_success") throw new InvalidOperationException($"deployment {r.DeploymentId} ended with {outcome}");
    await cts.CancelAsync();
    try { await listen; } catch (OperationCanceledException) { }
    return sw.Elapsed;
}

var create = await DeployAsync("v1");
var roll = await DeployAsync("v2");
var tasks = await client.ListTasksAsync("/bench/roll");
Console.WriteLine($"bench/deploy: {instances} instances of `sleep` on one agent (process driver), default upgradeStrategy (1/1)");
Console.WriteLine($"  initial deployment: {create.TotalSeconds:0.00} s");
Console.WriteLine($"  rolling upgrade:    {roll.TotalSeconds:0.00} s   ({tasks.Count} tasks running afterwards)");
await agent.StopAsync();
await server.StopAsync();
try { Directory.Delete(root, recursive: true); } catch (IOException) { }
