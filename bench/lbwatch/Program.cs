using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Api.LoadBalancing;
using Drover.Core.Cluster;
using Drover.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// bench/lbwatch: the server side of load balancing, over real HTTP against a server with SQLite state.
// (a) watch latency: from a routing change being recorded (a task reported running) to each of --watchers lbs,
//     blocked on GET /v1/drover/lb/state?index=N, holding the new state (the lb's convergence budget is 100 ms in all);
// (b) drain round trip: from POST /v2/tasks/delete to the agent's assignment carrying the kill, with one live lb that
//     follows the watch and acknowledges each state at once, against the same kill of an app without HAPROXY_ labels;
// (c) the CPU cost per change outside the network: server render, watcher parse, the lb's desired state + plan.
// Usage: run.sh [--apps N] [--instances N] [--watchers N] [--changes N] [--kills N]
var apps = Arg("--apps", 200);
var perApp = Arg("--instances", 5);
var watchers = Arg("--watchers", 4);
var changes = Arg("--changes", 100);
var kills = Arg("--kills", 40);
var dataDir = Path.Combine(Path.GetTempPath(), "drover-bench-lbwatch-" + Environment.ProcessId);

await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir, AgentTimeout = TimeSpan.FromHours(1) } /* a simulated agent: liveness is not measured here */,
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
using var client = new DroverClient(server.Url);
Console.WriteLine($"bench/lbwatch: server {server.Url}, sqlite state in {dataDir}");
try
{
    var agent = (await client.RegisterAgentAsync(new AgentRegistration
    {
        Hostname = "127.0.0.1", Endpoint = "http://127.0.0.1:1",
        Resources = new AgentResources { Cpus = 100_000, MemMb = 1e9, DiskMb = 1e9, Ports = [new PortRange(20000, 60000)] },
    })).AgentId;
    for (var i = 0; i < apps; i++)
        await client.CreateAppAsync(Json($$"""{"id":"/lb/app-{{i:D4}}","cmd":"x","instances":{{perApp}},"cpus":0.01,"mem":1,"labels":{"HAPROXY_GROUP":"external","HAPROXY_0_VHOST":"app{{i}}.example"},"portDefinitions":[{"port":0}]}"""));
    await client.CreateAppAsync(Json("""{"id":"/plain","cmd":"x","instances":1,"cpus":0.01,"mem":1}"""));
    var all = await WaitAssignmentsAsync(client, agent, a => a.Tasks.Count == apps * perApp + 1);
    await client.ReportStatusAsync(agent, [.. all.Tasks.Select(t => new TaskStatusReport { TaskId = t.Spec.TaskId, AppId = t.Spec.AppId, State = "TASK_RUNNING" })]);
    var state = await client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));
    var bytes = JsonSerializer.SerializeToUtf8Bytes(state, LbJsonContext.Default.LbState).Length;
    Console.WriteLine($"state: {state.Apps.Count} apps, {state.Apps.Sum(a => a.Tasks.Count)} tasks, {bytes / 1024.0:0.0} KiB");

    // (a) watchers follow the state; each change is a task going TASK_STARTING -> TASK_RUNNING (health shown to lbs)
    using var stop = new CancellationTokenSource();
    var seen = new ConcurrentDictionary<(int Watcher, long Index), long>();
    var followers = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
    {
        using var c = new DroverClient(server.Url);
        try
        {
            await foreach (var s in c.FollowLbStateAsync(TimeSpan.FromSeconds(30), ct: stop.Token)) seen[(w, s.Index)] = Stopwatch.GetTimestamp();
        }
        catch (OperationCanceledException) { }
    })).ToList();
    while (Enumerable.Range(0, watchers).Any(w => !seen.ContainsKey((w, state.Index)))) await Task.Delay(10); // every watcher holds the state
    var watchLatencies = new List<double>();
    var sample = all.Tasks.Where(t => t.Spec.AppId != "/plain").Take(changes).ToList();
    foreach (var t in sample)
    {
        foreach (var st in new[] { "TASK_STARTING", "TASK_RUNNING" })
        {
            var before = (await client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index;
            var t0 = Stopwatch.GetTimestamp();
            await client.ReportStatusAsync(agent, [new TaskStatusReport { TaskId = t.Spec.TaskId, AppId = t.Spec.AppId, State = st }]);
            var after = (await client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index;
            if (after <= before) continue; // not a routing change after all
            for (var w = 0; w < watchers; w++)
            {
                var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
                long at;
                while (!seen.TryGetValue((w, after), out at) && Stopwatch.GetTimestamp() < deadline) await Task.Delay(1);
                if (at != 0) watchLatencies.Add(Stopwatch.GetElapsedTime(t0, at).TotalMilliseconds);
            }
        }
    }
    Report($"(a) watch latency, {watchers} watchers", watchLatencies);
    LbSideCosts(server, client, await client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1)));
    stop.Cancel();
    await Task.WhenAll(followers);

    // (b) drain round trip with one lb that acknowledges every state as soon as it holds it
    using var lbStop = new CancellationTokenSource();
    using var lbClient = new DroverClient(server.Url);
    var lb = Task.Run(async () =>
    {
        try
        {
            await foreach (var s in lbClient.FollowLbStateAsync(TimeSpan.FromSeconds(30), ct: lbStop.Token))
                await lbClient.HeartbeatLbAsync("bench-lb", new LbHeartbeat { AppliedIndex = s.Index }, lbStop.Token);
        }
        catch (OperationCanceledException) { }
    });
    await client.HeartbeatLbAsync("bench-lb", new LbHeartbeat { AppliedIndex = 0 });
    var drained = new List<double>();
    var victims = all.Tasks.Where(t => t.Spec.AppId != "/plain").Skip(changes).Take(kills).ToList();
    foreach (var v in victims) drained.Add(await KillRoundTripAsync(client, agent, v.Spec.TaskId));
    var plain = new List<double>();
    for (var i = 0; i < Math.Min(kills, 20); i++)
    {
        var a = await WaitAssignmentsAsync(client, agent, x => x.Tasks.Any(t => t.Spec.AppId == "/plain" && !t.Kill));
        var p = a.Tasks.First(t => t.Spec.AppId == "/plain" && !t.Kill);
        await client.ReportStatusAsync(agent, [new TaskStatusReport { TaskId = p.Spec.TaskId, AppId = "/plain", State = "TASK_RUNNING" }]);
        plain.Add(await KillRoundTripAsync(client, agent, p.Spec.TaskId));
        await client.ReportStatusAsync(agent, [new TaskStatusReport { TaskId = p.Spec.TaskId, AppId = "/plain", State = "TASK_KILLED" }]);
    }
    Report("(b) kill -> agent told, HAPROXY_ app, lb acknowledging", drained);
    Report("    kill -> agent told, app without lb labels", plain);
    lbStop.Cancel();
    await lb;
}
finally
{
    await server.StopAsync();
    try { Directory.Delete(dataDir, true); } catch (IOException) { }
}

// (c) where a change's time goes outside the network, for this state: the server rendering it (all apps, as a fresh
//     cache does, and one changed task, as a warm cache does), each watcher parsing it, and the lb's desired-state build
//     + plan (+ the config render a frontend change needs).
static void LbSideCosts(DroverServer server, DroverClient client, LbState state)
{
    var snapshot = server.Services.GetRequiredService<Drover.Server.StateWriter>().Current;
    Report("(c) server: render the whole lb state (cold cache)", Time(20, () => new Drover.Server.LoadBalancing.LbStateCache().Get(snapshot)));
    var body = JsonSerializer.SerializeToUtf8Bytes(state, LbJsonContext.Default.LbState);
    Report($"    watcher: parse the {body.Length / 1024} KiB state", Time(50, () => JsonSerializer.Deserialize(body, LbJsonContext.Default.LbState)));
    var settings = new Drover.Lb.Haproxy.HaproxySettings { StatsSocket = "/tmp/x.sock", HttpPort = 8080 };
    var applied = Drover.Lb.Planning.DesiredState.Build(state, "external", Drover.Lb.Model.LbConfig.Empty, h => h).Config;
    // one task of one app stops being ready: what most changes are
    var app = state.Apps.First(a => a.Tasks.Count > 0 && a.Labels.ContainsKey("HAPROXY_0_VHOST"));
    var changed = state with { Apps = [.. state.Apps.Select(a => a != app ? a : a with { Tasks = [a.Tasks[0] with { Ready = false, State = "TASK_KILLING" }, .. a.Tasks.Skip(1)] })] };
    Drover.Lb.Planning.LbPlan? plan = null;
    Report("    lb: desired state + plan for one changed task", Time(50, () =>
    {
        var desired = Drover.Lb.Planning.DesiredState.Build(changed, "external", applied, h => h).Config;
        plan = Drover.Lb.Planning.Planner.Plan(applied, desired);
    }));
    Console.WriteLine($"    (the plan: reload={plan!.NeedsReload}, {plan.Ops.Count} runtime op(s))");
    Report("    lb: render haproxy.cfg (frontend changes only)", Time(20, () => Drover.Lb.Haproxy.ConfigRenderer.Render(applied, settings)));
}

static List<double> Time(int n, Action a)
{
    a(); // warm up (JIT)
    var ms = new List<double>();
    for (var i = 0; i < n; i++)
    {
        var t0 = Stopwatch.GetTimestamp();
        a();
        ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }
    return ms;
}

static async Task<double> KillRoundTripAsync(DroverClient client, string agent, string taskId)
{
    var t0 = Stopwatch.GetTimestamp();
    await client.KillTasksAsync([taskId]);
    await WaitAssignmentsAsync(client, agent, a => a.Tasks.Any(t => t.Spec.TaskId == taskId && t.Kill));
    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
}

static async Task<AgentAssignments> WaitAssignmentsAsync(DroverClient client, string agent, Func<AgentAssignments, bool> ok)
{
    string? fp = null;
    var end = DateTime.UtcNow + TimeSpan.FromMinutes(2);
    while (DateTime.UtcNow < end)
    {
        var a = await client.GetAssignmentsAsync(agent, fp, TimeSpan.FromSeconds(5));
        if (ok(a)) return a;
        fp = a.Fingerprint;
    }
    throw new TimeoutException("assignments never reached the expected state");
}

static void Report(string what, List<double> ms)
{
    if (ms.Count == 0) { Console.WriteLine($"{what}: no samples"); return; }
    ms.Sort();
    double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
    Console.WriteLine($"{what}: n={ms.Count} p50={P(0.5):0.0} ms p99={P(0.99):0.0} ms max={ms[^1]:0.0} ms");
}

static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement.Clone();

int Arg(string name, int def)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : def;
}
