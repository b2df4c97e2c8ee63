using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Bench.Lb;
using Drover.Core.Cluster;
using Drover.Lb;
using Drover.Lb.Haproxy;
using Drover.Lb.Model;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/lb: a real server (in process, SQLite), a stand-in agent whose tasks are real nginx processes, and a real
// Drover-managed HAProxy (Drover.Lb's LbHost, what `drover lb` runs). See run.sh for what it prints.
// Usage: run.sh [--changes N] [--seconds S]
var changes = Arg("--changes", 30);
var seconds = Arg("--seconds", 8);
var dir = Path.Combine(Path.GetTempPath(), "drover-bench-lb-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(dir, "server"), AgentTimeout = TimeSpan.FromHours(1) },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
using var client = new DroverClient(server.Url);
var ports = FreeBlock(400);
var agentId = (await client.RegisterAgentAsync(new AgentRegistration
{
    Hostname = "127.0.0.1", Endpoint = "http://127.0.0.1:1",
    Resources = new AgentResources { Cpus = 64, MemMb = 65536, DiskMb = 65536, Ports = [new PortRange(ports, ports + 399)] },
})).AgentId;
var agent = new NginxAgent(client, agentId, Path.Combine(dir, "tasks"));
agent.Start();
var lbPort = FreePort();
var lb = new LbHost(new LbOptions { DataDir = Path.Combine(dir, "lb"), HttpPort = lbPort, BindAddress = "127.0.0.1", StatusListen = "127.0.0.1:0", Id = "bench-lb" },
    new DroverClient(server.Url), loggers);
await lb.StartAsync(CancellationToken.None);
var runtime = new RuntimeApi(Path.Combine(dir, "lb", "admin.sock"));
Process? hand = null;
Console.WriteLine($"bench/lb: server {server.Url}, lb http 127.0.0.1:{lbPort}, work dir {dir}, {Environment.ProcessorCount} cores");
try
{
    // (a) convergence: a poller notes when each server first shows up ready, and when it first shows draining.
    await ApplyAsync("/conv", 1, "a");
    await WaitDeployedAsync("/conv", 1);
    var up = new ConcurrentDictionary<string, long>();
    var drained = new ConcurrentDictionary<string, long>();
    using var stopPoll = new CancellationTokenSource();
    var poller = Task.Run(async () =>
    {
        while (!stopPoll.IsCancellationRequested)
        {
            try
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var r in await runtime.ShowServersStateAsync())
                {
                    if (r.Admin == ServerState.Ready && r.IsUp) up.TryAdd(r.Name, now);
                    if (r.Admin is ServerState.Drain or ServerState.Maint) drained.TryAdd(r.Name, now);
                }
            }
            catch (RuntimeApiException) { }
            await Task.Delay(1);
        }
    });
    var addMs = new List<double>();
    var drainMs = new List<double>();
    for (var i = 0; i < changes; i++)
    {
        var task = (await client.ListTasksAsync("/conv")).Single(t => t.State == "TASK_RUNNING");
        var t0 = Stopwatch.GetTimestamp();
        await client.KillTasksAsync([task.Id]); // Marathon starts a replacement: one drain, then one add
        drainMs.Add(await WaitSeenAsync(drained, Names.Server(task.Id), t0));
        var replacement = await WaitForAsync(async () => (await client.ListTasksAsync("/conv")).FirstOrDefault(t => t.Id != task.Id && agent.ReportedRunning.ContainsKey(t.Id))?.Id);
        addMs.Add(await WaitSeenAsync(up, Names.Server(replacement), agent.ReportedRunning[replacement]));
        await WaitForAsync(async () => (await client.ListTasksAsync("/conv")).Count == 1 ? "" : null);
    }
    await stopPoll.CancelAsync();
    await poller;
    Report("(a) convergence, task reported RUNNING -> server UP in HAProxy", addMs);
    Report("    convergence, kill asked for       -> server DRAIN in HAProxy", drainMs);

    // (b) data path: the same 3 nginx backends through the Drover-managed HAProxy and through a hand-written one.
    await ApplyAsync("/web", 3, "a");
    await WaitDeployedAsync("/web", 3);
    await WaitForAsync(async () => (await runtime.ShowServersStateAsync()).Count(r => r.Backend == Names.Backend("/web", 0) && r.IsUp) == 3 ? "" : null);
    var tasks = await client.ListTasksAsync("/web");
    var handPort = FreePort();
    var handCfg = Path.Combine(dir, "hand.cfg");
    await File.WriteAllTextAsync(handCfg, $$"""
        global
            master-worker
        defaults
            mode http
            timeout connect 5s
            timeout client 60s
            timeout server 60s
            timeout http-keep-alive 10s
        frontend web
            bind 127.0.0.1:{{handPort}}
            default_backend web
        backend web
            balance roundrobin
        {{string.Join("\n", tasks.Select((t, i) => $"    server s{i} 127.0.0.1:{t.Ports[0]}"))}}

        """);
    hand = Process.Start(new ProcessStartInfo("haproxy", ["-W", "-db", "-f", handCfg]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    await WaitForAsync(() => Task.FromResult(CanConnect(handPort) ? "" : null));
    var drover = new List<WrkResult>();
    var manual = new List<WrkResult>();
    for (var round = 0; round < 2; round++)
    {
        manual.Add(await Wrk.RunAsync($"http://127.0.0.1:{handPort}/", "web.test", 50, TimeSpan.FromSeconds(seconds)));
        drover.Add(await Wrk.RunAsync($"http://127.0.0.1:{lbPort}/", "web.test", 50, TimeSpan.FromSeconds(seconds)));
    }
    foreach (var (d, m) in drover.Zip(manual))
        Console.WriteLine($"(b) wrk -t2 -c50 -d{seconds}s: hand-configured {m}\n                        Drover-managed  {d}");
    var ratio = drover.Sum(r => r.RequestsPerSecond) / manual.Sum(r => r.RequestsPerSecond);
    Console.WriteLine($"    throughput ratio Drover/hand = {ratio:0.000} (aim >= 0.98); p99 {drover.Average(r => r.P99Ms):0.00} ms vs {manual.Average(r => r.P99Ms):0.00} ms");

    // (c) failed requests while the app changes under load: keep-alive and new-connection-per-request wrk at once.
    await ApplyAsync("/web", 4, "b");
    await WaitDeployedAsync("/web", 4);
    await UnderLoadAsync("rolling deployment of 4 (1/0.25)", () => ApplyAsync("/web", 4, "c", 1, 0.25), () => WaitDeployedAsync("/web", 4));
    await UnderLoadAsync("rolling deployment of 4 (0.5/0)", () => ApplyAsync("/web", 4, "d", 0.5, 0), () => WaitDeployedAsync("/web", 4));
    await UnderLoadAsync("scale-down 4 -> 1", () => client.ScaleAppAsync("/web", 1), () => WaitDeployedAsync("/web", 1));
}
finally
{
    if (hand is { HasExited: false }) { hand.Kill(entireProcessTree: true); await hand.WaitForExitAsync(); }
    // the lb first (it deregisters while the server still answers), then the tasks, then the server
    await lb.DisposeAsync();
    await agent.DisposeAsync();
    await server.StopAsync();
    try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

async Task UnderLoadAsync(string what, Func<Task> change, Func<Task> done)
{
    var duration = TimeSpan.FromSeconds(Math.Max(seconds, 10));
    var keepAlive = Wrk.RunAsync($"http://127.0.0.1:{lbPort}/", "web.test", 20, duration);
    var perRequest = Wrk.RunAsync($"http://127.0.0.1:{lbPort}/", "web.test", 4, duration, newConnectionPerRequest: true);
    await Task.Delay(TimeSpan.FromSeconds(1)); // load first, then the change (the bench measures; it asserts nothing)
    var clock = Stopwatch.StartNew();
    await change();
    await done();
    var took = clock.Elapsed;
    var (k, p) = (await keepAlive, await perRequest);
    var inside = took < duration - TimeSpan.FromSeconds(1) ? "" : " (the change outlasted the load: raise --seconds)";
    Console.WriteLine($"(c) {what}: done in {took.TotalSeconds:0.0} s{inside}\n      keep-alive  {k}\n      per request {p}\n      failed requests: {k.Failed + p.Failed}");
}

Task ApplyAsync(string id, int instances, string version, double minimumHealthCapacity = 1, double maximumOverCapacity = 1) =>
    client.PutAppAsync(id, JsonDocument.Parse($$$"""
        {"id":"{{{id}}}","cmd":"nginx","instances":{{{instances}}},"cpus":0.01,"mem":1,"env":{"VERSION":"{{{version}}}"},
         "portDefinitions":[{"port":0}],"labels":{"HAPROXY_GROUP":"external","HAPROXY_0_VHOST":"{{{id.Trim('/')}}}.test"},
         "upgradeStrategy":{"minimumHealthCapacity":{{{Num(minimumHealthCapacity)}}},"maximumOverCapacity":{{{Num(maximumOverCapacity)}}}}}
        """).RootElement.Clone());

Task WaitDeployedAsync(string id, int instances) => WaitForAsync(async () =>
{
    var app = await client.GetAppAsync(id);
    return app.Deployments.Count == 0 && app.TasksRunning == instances && app.Tasks?.Count == instances ? "" : null;
}, TimeSpan.FromMinutes(3));

static async Task<string> WaitForAsync(Func<Task<string?>> probe, TimeSpan? timeout = null)
{
    var end = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * (timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds);
    while (Stopwatch.GetTimestamp() < end)
    {
        if (await probe() is { } v) return v;
        await Task.Delay(5);
    }
    throw new TimeoutException("the bench waited in vain for a condition (see the lines above)");
}

static async Task<double> WaitSeenAsync(ConcurrentDictionary<string, long> seen, string name, long t0)
{
    await WaitForAsync(() => Task.FromResult(seen.ContainsKey(name) ? "" : null));
    return Stopwatch.GetElapsedTime(t0, seen[name]).TotalMilliseconds;
}

static string Num(double d) => d.ToString(System.Globalization.CultureInfo.InvariantCulture);

static void Report(string what, List<double> ms)
{
    if (ms.Count == 0) { Console.WriteLine($"{what}: no samples"); return; }
    ms.Sort();
    double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
    Console.WriteLine($"{what}: n={ms.Count} p50={P(0.5):0.0} ms p99={P(0.99):0.0} ms max={ms[^1]:0.0} ms");
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

// A block of consecutive free ports for the stand-in agent's port range (its tasks' nginx bind them), below the
// kernel's ephemeral range: the per-request load leaves thousands of TIME_WAIT sockets on ephemeral ports.
static int FreeBlock(int size)
{
    var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
    for (var start = 20000; start + size <= ephemeralStart; start += size)
        if (Enumerable.Range(start, size).All(p => { try { using var l = new TcpListener(IPAddress.Loopback, p); l.Start(); return true; } catch (SocketException) { return false; } }))
            return start;
    throw new InvalidOperationException($"no {size} consecutive free ports between 20000 and {ephemeralStart}");
}

static bool CanConnect(int port)
{
    try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); return true; }
    catch (SocketException) { return false; }
}

int Arg(string name, int def)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : def;
}
