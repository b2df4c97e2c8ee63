using System.Diagnostics;
using System.Text.Json;
using Drover.Agent;
using Drover.Api.Client;
using Drover.Bench.TaskStart;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/taskstart: API call → task RUNNING (server + agent in this process, SQLite state). Each round creates an
// app with one task and polls until it runs. Process driver: a `sleep` process (target median < 50 ms). Docker
// driver, image present: a busybox `sleep` container, HOST and BRIDGE (with one port mapping) networking (target
// median < 1 s). The Docker rounds use a private dockerd the benchmark starts (root needed), or --docker-socket PATH.
//   dotnet run -c Release --project bench/taskstart -- [rounds] [--docker-socket PATH | --no-docker]
var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 50;
var socketArg = Array.IndexOf(args, "--docker-socket") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var withDocker = !args.Contains("--no-docker");

var root = Path.Combine(Path.GetTempPath(), "drover-bench-taskstart-" + Environment.ProcessId);
await using var dockerd = withDocker && socketArg is null ? new PrivateDockerd() : null;
if (dockerd is not null) await dockerd.StartAsync();
var socket = socketArg ?? dockerd?.Socket;
var image = socketArg is null ? PrivateDockerd.Image : "busybox:latest";

using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(root, "server") },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
await using var agent = new DroverAgent(new AgentOptions
{
    ServerUrl = server.Url.ToString().TrimEnd('/'), DataDir = Path.Combine(root, "agent"), Hostname = "bench", Ports = "33000-33999",
    KillTasksOnStop = true, DockerSocket = socket,
}, loggers);
await agent.StartAsync();
await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30));
using var client = new DroverClient(server.Url);

await Measure("process driver", "process", """ "cmd":"exec sleep 600" """, rounds, 50);
if (socket is not null)
{
    var dockerRounds = Math.Max(5, rounds / 2);
    await Measure("docker driver, HOST", "docker-host",
        $$""" "cmd":"exec sleep 600","container":{"type":"DOCKER","docker":{"image":"{{image}}","network":"HOST"} } """, dockerRounds, 1000);
    await Measure("docker driver, BRIDGE + 1 port", "docker-bridge",
        $$""" "cmd":"exec sleep 600","container":{"type":"DOCKER","docker":{"image":"{{image}}","network":"BRIDGE"},"portMappings":[{"containerPort":80}]} """,
        dockerRounds, 1000);
}
if (socket is not null)
{
    // The peer: the same containers created and started straight through the Engine API (what `docker run -d` does).
    using var docker = new Drover.Agent.Docker.DockerClient(socket);
    foreach (var (title, bridge) in new[] { ("HOST", false), ("BRIDGE + 1 port", true) })
    {
        var samples = new List<double>();
        for (var k = 0; k < Math.Max(5, rounds / 2); k++)
        {
            var sw = Stopwatch.StartNew();
            var id = await docker.CreateContainerAsync(null, new Drover.Agent.Docker.ContainerCreateBody
            {
                Image = image, Cmd = ["sleep", "600"],
                ExposedPorts = bridge ? new Dictionary<string, Drover.Agent.Docker.EmptyObject> { ["80/tcp"] = new() } : null,
                HostConfig = new Drover.Agent.Docker.HostConfig
                {
                    NetworkMode = bridge ? "bridge" : "host",
                    PortBindings = bridge ? new Dictionary<string, IReadOnlyList<Drover.Agent.Docker.PortBinding>>
                        { ["80/tcp"] = [new Drover.Agent.Docker.PortBinding { HostPort = (34000 + k).ToString() }] } : null,
                },
            });
            await docker.StartContainerAsync(id);
            samples.Add(sw.Elapsed.TotalMilliseconds);
            await docker.RemoveContainerAsync(id);
        }
        samples.Sort();
        Console.WriteLine($"peer: Docker Engine API create+start alone, {title}, {samples.Count} rounds:");
        Console.WriteLine($"  median={samples[samples.Count / 2]:0.0} ms  p90={samples[(int)(samples.Count * 0.9)]:0.0} ms");
    }
}
await agent.StopAsync();
await server.StopAsync();
try { Directory.Delete(root, recursive: true); } catch (IOException) { }

async Task Measure(string title, string prefix, string fields, int n, double targetMs)
{
    var samples = new List<double>();
    for (var k = 0; k < n; k++)
    {
        var id = $"/bench/{prefix}-{k}";
        using var doc = JsonDocument.Parse($$"""{"id":"{{id}}",{{fields}},"instances":1,"cpus":0.01,"mem":16}""");
        var sw = Stopwatch.StartNew();
        await client.PutAppAsync(id, doc.RootElement);
        while (true)
        {
            var tasks = await client.ListTasksAsync(id);
            if (tasks.Count == 1 && tasks[0].State == "TASK_RUNNING") break;
            if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{id} did not start");
            await Task.Delay(2);
        }
        samples.Add(sw.Elapsed.TotalMilliseconds);
        await client.DeleteAppAsync(id);
        // One start at a time: a container still stopping (sleep as pid 1 waits out the grace period) would slow the next.
        while ((await client.ListTasksAsync()).Count > 0) await Task.Delay(20);
    }
    samples.Sort();
    var median = samples[samples.Count / 2];
    Console.WriteLine($"task start (PUT /v2/apps → TASK_RUNNING, {title}), {n} rounds:");
    Console.WriteLine($"  median={median:0.0} ms  p90={samples[(int)(samples.Count * 0.9)]:0.0} ms  min={samples[0]:0.0} ms  max={samples[^1]:0.0} ms");
    Console.WriteLine($"  target median < {targetMs:0} ms: {(median < targetMs ? "MET" : "NOT MET")}");
}
