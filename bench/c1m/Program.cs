using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Bench.C1m;
using Drover.Bench.EtcdStore;

// bench/c1m: the end-to-end scale benchmark. N instances across M simulated agents through a real `drover server`
// process, its store (SQLite, or a 3-member etcd) and the agent protocol, from the API calls until every instance is
// reported TASK_RUNNING and the server counts it running. HashiCorp's C1M: 1,000,000 containers on 5,000 hosts in
// under 5 minutes with 5 servers; the goal here is the same on 2 cores.
var o = C1mOptions.Parse(args);
var root = Path.Combine(Path.GetTempPath(), "drover-bench-c1m-" + Guid.NewGuid().ToString("N"));
Console.WriteLine($"bench/c1m: {o.Instances:N0} instances ({o.Apps:N0} apps x {o.PerApp:N0}) on {o.Agents:N0} simulated agents, " +
                  $"store {o.Store}{(o.Store == "etcd" ? " (3 members)" : "")}, created via /v2/{o.Via}, " +
                  $"--agent-timeout {o.AgentTimeoutSeconds}s, " +
                  $"--max-launches-per-pass {(o.LaunchesPerPass is { } n ? n.ToString("N0") : "default")}, {Environment.ProcessorCount} cpus");

// calls wait as long as the run may: on a loaded machine an API call can wait minutes for the server's writer
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds) };
// etcd's defaults refuse a transaction of more than 128 operations or 1.5 MiB, and one reconcile pass writes every
// launch it decides in one batch (thousands at this scale): see README, "What is not there yet"
using var etcd = o.Store == "etcd" ? new EtcdProcesses(3, "--max-txn-ops", "1000000", "--max-request-bytes", "134217728") : null;
if (etcd is not null) await etcd.WaitHealthyAsync();
using var server = await ServerUnderTest.StartAsync(root, etcd?.Endpoints, TimeSpan.FromSeconds(o.AgentTimeoutSeconds), http, o.LaunchesPerPass);
using var client = new DroverClient(server.Url, ServerUnderTest.Token);
using var stop = new CancellationTokenSource();
var exitCode = 1;
var clock = Stopwatch.StartNew();
var deadline = TimeSpan.FromSeconds(o.TimeoutSeconds);
var sim = new SimulatedAgents(client, o.Agents, o.Concurrency);
try
{
    await sim.RegisterAsync(stop.Token);
    Console.WriteLine($"registered {sim.Count:N0} agents in {clock.Elapsed.TotalSeconds:0.0} s (heartbeat every {sim.HeartbeatInterval.TotalSeconds:0.#} s as the server asks)");
    var simulation = sim.RunAsync(stop.Token);

    var before = await server.MetricsAsync(http);
    var writes0 = await server.MetricAsync(http, "drover_store_writes_total");
    var cpu0 = server.CpuSeconds();
    clock.Restart();
    var monitor = Task.Run(() => ReportProgressAsync(clock, sim.Counters, stop.Token));

    await CreateAsync(client, o, stop.Token);
    var created = clock.Elapsed;
    Console.WriteLine($"  {created.TotalSeconds,7:0.0} s  created {o.Apps:N0} apps");
    var placed = await UntilAsync(() => sim.Counters.Received >= o.Instances, "placed on agents");
    var running = await UntilAsync(() => sim.Counters.Running >= o.Instances, "reported TASK_RUNNING");
    // the server's own count, as a Marathon client reads it
    var apps = await client.ListAppsAsync(ct: stop.Token);
    var serverRunning = apps.Sum(a => (long)a.TasksRunning);
    var confirmed = clock.Elapsed;
    var writes = await server.MetricAsync(http, "drover_store_writes_total") - writes0;
    var cpu = server.CpuSeconds() - cpu0;
    var memory = server.Memory();
    var after = await server.MetricsAsync(http);
    await stop.CancelAsync();
    await Task.WhenAll(monitor, simulation).ContinueWith(_ => { }, TaskScheduler.Default);

    Console.WriteLine();
    Console.WriteLine($"c1m {o.Store}: {o.Instances:N0} instances, {o.Agents:N0} agents, {o.Apps:N0} apps");
    Console.WriteLine($"  create (API calls)        {created.TotalSeconds,8:0.0} s");
    Console.WriteLine($"  all placed on agents      {placed.TotalSeconds,8:0.0} s");
    Console.WriteLine($"  all reported RUNNING      {running.TotalSeconds,8:0.0} s");
    Console.WriteLine($"  server counts running     {confirmed.TotalSeconds,8:0.0} s  ({serverRunning:N0} tasksRunning in /v2/apps)");
    Console.WriteLine($"  store writes              {writes,8:N0}  ({writes / confirmed.TotalSeconds:N0} writes/s)");
    Console.WriteLine($"  server cpu                {cpu,8:0.0} s  ({cpu / confirmed.TotalSeconds:0.00} cores)");
    Console.WriteLine($"  server peak memory (RSS)  {memory.PeakMiB,8:N0} MiB  (now {memory.NowMiB:N0} MiB)");
    Console.WriteLine($"  machine load average      {LoadAverage()}  (1, 5, 15 min; the machine is shared: figures are only comparable at similar load)");
    Console.WriteLine($"  agent calls               {sim.Counters.Polls:N0} polls answered, {sim.Counters.Heartbeats:N0} heartbeats, {sim.Counters.Errors:N0} errors{(sim.Counters.LastError is { } err ? $" (last: {err})" : "")}");
    PrintWhereTimeWent(before, after);
    var goal = TimeSpan.FromMinutes(5);
    Console.WriteLine($"  goal: all running in < {goal.TotalMinutes:0} min: {(confirmed < goal ? "MET" : "NOT MET")}   (HashiCorp C1M: 1M containers, 5,000 hosts, 5 servers, < 5 min)");
    if (serverRunning != o.Instances) throw new InvalidOperationException($"the server counts {serverRunning:N0} tasks running, expected {o.Instances:N0}");
    exitCode = 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"bench/c1m failed: {e.Message}; agent calls: {sim.Counters.Errors:N0} errors{(sim.Counters.LastError is { } err ? $" (last: {err})" : "")}\n--- server log ({server.LogFile}):\n{server.Tail()}");
}
finally
{
    await stop.CancelAsync();
    server.Dispose();
    // a failed run keeps the server's log and state for a look
    if (exitCode == 0) Directory.Delete(root, recursive: true);
    else Console.Error.WriteLine($"kept {root}");
}
return exitCode;

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

async Task<TimeSpan> UntilAsync(Func<bool> done, string what)
{
    while (!done())
    {
        if (clock.Elapsed > deadline) throw new TimeoutException($"not all {what} after {deadline.TotalSeconds:0} s");
        await Task.Delay(20);
    }
    Console.WriteLine($"  {clock.Elapsed.TotalSeconds,7:0.0} s  all {o.Instances:N0} {what}");
    return clock.Elapsed;
}

async Task ReportProgressAsync(Stopwatch c, SimulationCounters counters, CancellationToken ct)
{
    try
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
            try
            {
                var m = server.Memory();
                Console.WriteLine($"  {c.Elapsed.TotalSeconds,7:0.0} s  … {counters.Received:N0} placed, {counters.Running:N0} running; server rss {m.NowMiB:N0} MiB, " +
                                  $"cpu {server.CpuSeconds():0} s; {counters.Heartbeats:N0} heartbeats, {counters.Errors:N0} errors; load {LoadAverage()}" +
                                  (counters.LastError is { } err ? $"; last error: {err}" : ""));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.WriteLine($"  {c.Elapsed.TotalSeconds,7:0.0} s  … (progress: {e.Message})"); // a line missed, not the run
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}

// The server's own timings over the run (histogram sums and counts), to see which part of it is the bottleneck.
static void PrintWhereTimeWent(Dictionary<string, double> before, Dictionary<string, double> after)
{
    Console.WriteLine("  where the server's time went (from its /metrics; seconds summed over concurrent calls):");
    foreach (var (series, sum) in after.Where(kv => kv.Key.Contains("_sum", StringComparison.Ordinal)).OrderByDescending(kv => kv.Value - before.GetValueOrDefault(kv.Key)))
    {
        var count = after.GetValueOrDefault(series.Replace("_sum", "_count", StringComparison.Ordinal)) - before.GetValueOrDefault(series.Replace("_sum", "_count", StringComparison.Ordinal));
        var seconds = sum - before.GetValueOrDefault(series);
        if (count <= 0) continue;
        Console.WriteLine($"    {series,-75} {count,9:N0} x {seconds / count * 1000,9:0.00} ms = {seconds,8:0.0} s");
    }
}

static async Task CreateAsync(DroverClient client, C1mOptions o, CancellationToken ct)
{
    string App(string id) => $$"""{"id":"{{id}}","cmd":"sleep 3600","instances":{{o.PerApp}},"cpus":0.01,"mem":8,"disk":0}""";
    if (o.Via == "apps")
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Apps), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, c) =>
        {
            using var doc = JsonDocument.Parse(App($"/c1m/g{i % 100:D2}/app-{i:D5}"));
            await client.CreateAppAsync(doc.RootElement, c);
        });
        return;
    }
    // Marathon's group update: one POST /v2/groups with up to 100 apps, one deployment each
    var chunks = Enumerable.Range(0, o.Apps).Chunk(100).ToList();
    await Parallel.ForEachAsync(chunks.Select((apps, n) => (apps, n)), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (chunk, c) =>
    {
        var body = new StringBuilder($$"""{"id":"/c1m/batch-{{chunk.n:D4}}","apps":[""");
        body.AppendJoin(',', chunk.apps.Select(i => App($"/c1m/batch-{chunk.n:D4}/app-{i:D5}")));
        body.Append("]}");
        using var doc = JsonDocument.Parse(body.ToString());
        await client.CreateGroupAsync(doc.RootElement, c);
    });
}
