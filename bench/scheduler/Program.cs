using System.Diagnostics;
using System.Globalization;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Scheduling;

// Scheduler benchmark (mission target: 1,000,000 instances on 10,000 agents in < 60 s on 2 cores).
// Usage: dotnet run -c Release --project bench/scheduler -- [--agents N] [--apps N] [--per-app N]
//        [--constrained F] [--seed N] [--no-reconcile]
var opts = Options.Parse(args);
var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

Console.WriteLine($"scheduler bench: {opts.Agents:N0} agents, {opts.Apps:N0} apps x {opts.PerApp} = {(long)opts.Apps * opts.PerApp:N0} instances, " +
                  $"{opts.Constrained:P0} constrained, {Environment.ProcessorCount} cpus, .NET {Environment.Version}");

// Warm-up on a small cluster so the figures measure steady code, not the JIT.
Placer.Place(new ClusterView(Workload.Agents(200, opts.Seed, now), []), Workload.Requests(200, 20, opts.Constrained, opts.Seed));

var agents = Workload.Agents(opts.Agents, opts.Seed, now);
var requests = Workload.Requests(opts.Apps, opts.PerApp, opts.Constrained, opts.Seed);
var constrainedApps = requests.Count(r => r.App.Constraints.Count > 0);

GC.Collect();
var gc0 = Counts();
var sw = Stopwatch.StartNew();
var result = Placer.Place(new ClusterView(agents, []), requests);
sw.Stop();
var gc1 = Counts();

var placed = result.Placements.Count;
Console.WriteLine();
Console.WriteLine("placement (one Placer.Place call)");
Console.WriteLine($"  elapsed          {sw.Elapsed.TotalSeconds:F2} s");
Console.WriteLine($"  placed           {placed:N0}");
Console.WriteLine($"  placements/s     {placed / sw.Elapsed.TotalSeconds:N0}");
Console.WriteLine($"  unplaced         {result.UnplacedCount:N0} (apps: {result.Unplaced.Count:N0})");
Console.WriteLine($"  constrained apps {constrainedApps:N0}");
Console.WriteLine($"  gc collections   gen0 {gc1.G0 - gc0.G0}, gen1 {gc1.G1 - gc0.G1}, gen2 {gc1.G2 - gc0.G2}");
Workload.PrintUtilisation(agents, requests, result);
foreach (var u in result.Unplaced.Take(3))
    Console.WriteLine($"  e.g. {u.AppId}: {u.Count} unplaced, {string.Join(", ", u.Reasons.Select(r => $"{r.Reason} {r.Declined}/{r.Processed}"))}");

if (opts.Reconcile)
{
    // The server's loop: a full reconcile over the same cluster, now running every placed task.
    var apps = requests.Select(r => r.App).ToArray();
    var appsById = apps.ToDictionary(a => a.Id);
    var stagedAt = MarathonTime.ToWire(now);
    var tasks = new TaskRecord[placed];
    for (var i = 0; i < placed; i++)
    {
        var p = result.Placements[i];
        var app = appsById[p.AppId];
        tasks[i] = new TaskRecord
        {
            Id = $"{p.AppId[1..]}.{i}", AppId = p.AppId, AgentId = p.AgentId, Host = p.Hostname,
            State = TaskState.Running, Version = app.Version!, StagedAt = stagedAt, StartedAt = stagedAt,
            Ports = p.HostPorts, Cpus = app.Cpus, MemMb = app.Mem, DiskMb = app.Disk,
        };
    }
    // Lose 1% of agents so the reconcile has real work: their tasks must be replaced elsewhere.
    var lost = agents.Select((a, i) => i % 89 == 7 && a.Status == AgentStatus.Active ? a with { Status = AgentStatus.Unreachable } : a).ToArray();
    var input = new ReconcileInput { Apps = apps, Tasks = tasks, Agents = lost, Now = now.AddMinutes(5) };
    GC.Collect();
    var g0 = Counts();
    sw.Restart();
    var plan = Reconciler.Plan(input);
    sw.Stop();
    var g1 = Counts();
    Console.WriteLine();
    Console.WriteLine($"reconcile ({tasks.Length:N0} tasks, {lost.Count(a => a.Status == AgentStatus.Unreachable):N0} agents unreachable)");
    Console.WriteLine($"  elapsed          {sw.Elapsed.TotalSeconds:F2} s");
    Console.WriteLine($"  launches         {plan.Launches.Count:N0}, kills {plan.Kills.Count:N0}, queued {plan.Queue.Sum(q => q.Count):N0}");
    Console.WriteLine($"  gc collections   gen0 {g1.G0 - g0.G0}, gen1 {g1.G1 - g0.G1}, gen2 {g1.G2 - g0.G2}");
}

using (var self = Process.GetCurrentProcess())
    Console.WriteLine($"\npeak working set   {self.PeakWorkingSet64 / (1024.0 * 1024):N0} MiB");
Console.WriteLine($"total gc           gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
return 0;

static (int G0, int G1, int G2) Counts() => (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

internal sealed record Options(int Agents, int Apps, int PerApp, double Constrained, int Seed, bool Reconcile)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(10_000, 10_000, 100, 0.10, 42, true);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--agents" => o with { Agents = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--apps" => o with { Apps = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--per-app" => o with { PerApp = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--constrained" => o with { Constrained = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--no-reconcile" => o with { Reconcile = false },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
