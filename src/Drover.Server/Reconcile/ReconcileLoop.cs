using System.Collections.Immutable;
using System.Threading.Channels;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

using Drover.Scheduling;
using Drover.Server.Agents;
using Drover.State;
using Microsoft.Extensions.Hosting;
using Drover.Server.Storage;

namespace Drover.Server.Reconcile;

/// <summary>
/// Keeps the cluster at its desired state: after every state change (and on a timer, for backoff
/// expiry and lost agents) it asks the pure <see cref="Reconciler"/> for a plan and writes it:
/// new tasks assigned to agents, kill marks on surplus ones.
/// </summary>
public sealed class ReconcileLoop(StateWriter writer, LaunchQueue queue, AgentLiveness liveness, ServerOptions options, TimeProvider time, ServerLog log,
    Deployments.DeploymentMonitor deployments, Events.TaskEvents events, LoadBalancing.LbRegistry lbs,
    LoadBalancing.LbStateCache lbState, Metrics.ServerMetrics metrics)
    : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private volatile bool _paused;

    /// <summary>Apps the last plans found settled, skipped until their inputs change (see <see cref="SettledApps"/>).</summary>
    private readonly SettledApps _settled = new();

    public void Trigger() => _wake.Writer.TryWrite(true);

    /// <summary>Stops launching and killing (used on an orderly all-in-one shutdown, so the tasks the agent stops are not replaced).</summary>
    public void Pause() => _paused = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = WatchStoreAsync(stoppingToken);
        lbs.Changed += Trigger; // an lb's acknowledgement may release a held kill
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.ReconcileFailed(ex);
            }
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            tick.CancelAfter(options.ReconcileInterval);
            try
            {
                await _wake.Reader.ReadAsync(tick.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // periodic pass
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task WatchStoreAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var _ in writer.Store.WatchAsync(writer.Current.Index, ct)) Trigger();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One reconciliation pass; public for tests that drive time by hand.</summary>
    public async Task PassAsync(CancellationToken ct)
    {
        if (_paused) return;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        await MarkUnreachableAgentsAsync(now, ct);
        // Decided outside the writer's lock, so agents' reports and API writes go on meanwhile: the write checks what
        // the pass read (apps, agents, deployments...) as a whole, but tasks only key by key (see KeyChecked). When that
        // no longer holds, the pass is decided again under the lock, on the newest state, as every other write is.
        var snap = writer.Current;
        var reads = new ReadSet();
        var effects = new WriteEffects();
        var ops = Decide(snap.Tracking(reads), effects, now);
        if (!await writer.TryWriteDecidedAsync(snap, reads, KeyChecked, KeyChecks.Add(snap, ops, KeyChecked), effects, ct))
        {
            log.ReconcileDecidedAgain(snap.Index, writer.Current.Index);
            await writer.UpdateAsync((s, after) => Decide(s, after, now), ct);
        }
        metrics.Reconciled(start);
    }

    /// <summary>
    /// Collections a pass reads in full but whose writes it checks key by key: agents' reports change them all the time
    /// (task states, ended tasks), and what a pass decided on an older copy stays right unless a key it writes changed.
    /// Tasks are only ever added by a pass (launches: new ids; every launching pass also moves Schema.LaunchMarks under a
    /// precondition, so a pass on a copy missing another pass's launches fails) and by an agent's adoption of a restarted
    /// task, which replaces one: a placement decided on the older copy neither overbooks an agent nor launches twice.
    /// </summary>
    private static readonly string[] KeyChecked = [Schema.Tasks.Name, Schema.EndedTasks.Name];

    /// <summary>The ops of one pass, decided on <paramref name="s"/>; events and in-memory effects go to <paramref name="after"/>.</summary>
    private List<StateOp> Decide(StateSnapshot s, WriteEffects after, DateTimeOffset now)
    {
        var lap = System.Diagnostics.Stopwatch.GetTimestamp();
        var ops = new List<StateOp>();
        ops.AddRange(ExpungeUnreachable(s, now));
        foreach (var (_, t, agent) in DrainService.DeadlineKills(s, now))
        {
            ops.Add(StateOp.Put(Schema.Tasks, t.Id, LoadBalancing.LbKills.MarkForKill(s, t, lbs, now)));
            after.Add(() => log.TaskKilling(t.Id, t.AppId, $"drain deadline of {agent.Hostname} passed"));
        }
        // held kills whose lb drain is over go to the agents; the periodic pass (ReconcileInterval) catches timeouts
        foreach (var (op, t, why) in LoadBalancing.LbKills.Releases(s, lbs, lbState, now))
        {
            ops.Add(op);
            var reason = LoadBalancing.LbKills.Describe(why, t, now);
            after.Add(() => log.TaskKillReleased(t.Id, t.AppId, reason));
        }
        lap = metrics.ReconcilePhase("housekeeping", lap);
        ops.AddRange(deployments.Check(s, after));
        lap = metrics.ReconcilePhase("deployments", lap);
        var (input, groups, agents) = Input(s, now);
        var plan = Reconciler.Plan(input);
        _settled.Planned(input.Apps, plan.Settled, groups, agents, s.Entries(Schema.Apps.Name).Count);
        lap = metrics.ReconcilePhase("plan", lap);
        var placed = 0;
        TaskRecord? first = null;
        foreach (var launch in plan.Launches.Take(options.MaxLaunchesPerPass))
        {
            var app = s.Get(Schema.Apps, launch.Placement.AppId);
            if (app?.Version is null) continue;
            var agent = s.Get(Schema.Agents, launch.Placement.AgentId)!;
            var task = new TaskRecord
            {
                Id = TaskEnvironment.NewTaskId(app.Id),
                AppId = app.Id,
                AgentId = agent.Id,
                Host = agent.Hostname,
                Version = app.Version,
                StagedAt = MarathonTime.ToWire(now),
                Ports = launch.Placement.HostPorts,
                Cpus = app.Cpus,
                MemMb = app.Mem,
                DiskMb = app.Disk,
            };
            ops.Add(StateOp.Put(Schema.Tasks, task.Id, task));
            placed++;
            after.Add(() => log.TaskLaunching(task.Id, app.Id, agent.Hostname));
            events.StatusChanged(after, task, TaskState.Staging, null);
            first ??= task;
        }
        if (first is { } example)
        {
            // launches count only if no other pass launched since the state they were placed on (see Schema.LaunchMarks)
            var mark = s.Entry(Schema.LaunchMarks.Name, Schema.TombstoneKey);
            ops.Add(StateOp.Put(Schema.LaunchMarks, Schema.TombstoneKey, new LaunchMark { At = MarathonTime.ToWire(now), Launched = placed }, mark?.ModifyIndex ?? 0));
            var (count, apps) = (placed, plan.Launches.Take(options.MaxLaunchesPerPass).Select(l => l.Placement.AppId).Distinct().Count());
            after.Add(() => log.TasksLaunching(count, apps, example.Id, example.AppId, example.Host));
        }
        lap = metrics.ReconcilePhase("launches", lap);
        foreach (var kill in plan.Kills)
        {
            if (s.Get(Schema.Tasks, kill.TaskId) is not { KillRequested: false } t) continue;
            var marked = LoadBalancing.LbKills.MarkForKill(s, t, lbs, now);
            ops.Add(StateOp.Put(Schema.Tasks, t.Id, marked));
            var why = marked.Draining ? kill.Message + ", draining from load balancers first" : kill.Message;
            after.Add(() => log.TaskKilling(t.Id, t.AppId, why));
        }
        lap = metrics.ReconcilePhase("kills", lap);
        ops.AddRange(PruneUnusedVersions(s));
        ops.AddRange(Tasks.RecentTasks.Prune(s));
        // the queue's view follows the plan only once the plan is written (a refused write leaves it as it was)
        ops.AddRange(LaunchQueue.Resets(s, plan.BackoffResets));
        ops.AddRange(LaunchQueue.WaitingChanges(s, plan.Queue, now));
        after.Add(() => queue.Publish(plan.Queue));
        after.Add(() => metrics.Placed(placed));
        after.Add(() => metrics.Unplaced(plan.Queue));
        metrics.ReconcilePhase("queue", lap);
        return ops;
    }

    /// <summary>
    /// The plan's input: every app except those settled on the same tasks and agents (<see cref="SettledApps"/>), the
    /// tasks of those apps and of deleted apps, and each agent's usage from its task group. A pass then costs what changed
    /// since the last, not the whole cluster (1,000,000 tasks: seconds a pass).
    /// </summary>
    private (ReconcileInput Input, ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> Groups, object Agents) Input(StateSnapshot s, DateTimeOffset now)
    {
        var agentEntries = s.Entries(Schema.Agents.Name);
        var appEntries = s.Entries(Schema.Apps.Name);
        var byApp = TaskIndex.AppGroups(s);
        var byAgent = TaskIndex.AgentGroups(s);
        var backoffs = LaunchQueue.Backoffs(s);
        var agents = s.All(Schema.Agents).ToList();
        var status = new Dictionary<string, AgentStatus>(agents.Count, StringComparer.Ordinal);
        foreach (var a in agents) status.TryAdd(a.Id, a.Status);
        var apps = new List<AppDefinition>();
        var tasks = new List<TaskRecord>();
        foreach (var e in appEntries.Values)
        {
            var app = StateSnapshot.Decode(Schema.Apps, e);
            var group = byApp.GetValueOrDefault(app.Id);
            var backoff = backoffs.ContainsKey(app.Id);
            if (!backoff && _settled.Holds(app, group, agentEntries)) continue;
            // most changes to a settled app's tasks (a task reported running, a health result) leave it settled:
            // one look at its tasks says so without planning it
            if (Reconciler.IsSettled(app, group?.Values ?? [], id => status.TryGetValue(id, out var st) ? st : null, backoff))
            {
                _settled.Settle(app, group, agentEntries);
                continue;
            }
            apps.Add(app);
            if (group is not null) tasks.AddRange(group.Values);
        }
        foreach (var (appId, group) in byApp)
        {
            if (!appEntries.ContainsKey(appId)) tasks.AddRange(group.Values); // a deleted app's tasks: to be killed
        }
        var input = new ReconcileInput
        {
            Apps = apps,
            Tasks = tasks,
            Agents = agents,
            Backoffs = backoffs,
            Now = now,
            AgentUsage = id => byAgent.TryGetValue(id, out var g) ? SettledApps.UsageOf(g) : null,
        };
        return (input, byApp, agentEntries);
    }

    private async Task MarkUnreachableAgentsAsync(DateTimeOffset now, CancellationToken ct)
    {
        var s = writer.Current;
        var grace = options.AgentGrace(s.Entries(Schema.Agents.Name).Count);
        var lost = s.All(Schema.Agents)
            .Where(a => a.Status != AgentStatus.Unreachable && now - liveness.LastSeen(a.Id) > grace)
            .ToList();
        if (lost.Count == 0) return;
        await writer.UpdateAsync((snap, after) =>
        {
            var ops = new List<StateOp>();
            foreach (var a in lost)
            {
                var agent = snap.Get(Schema.Agents, a.Id);
                if (agent is null || agent.Status == AgentStatus.Unreachable) continue;
                var lastSeen = liveness.TrueLastSeen(a.Id) ?? liveness.LastSeen(a.Id); // not the seeded clock start a failover's grace counted from
                ops.Add(StateOp.Put(Schema.Agents, a.Id, agent with { Status = AgentStatus.Unreachable, LastSeenAt = MarathonTime.ToWire(lastSeen) }));
                var count = 0;
                foreach (var t in TaskIndex.OnAgent(snap, a.Id))
                {
                    ops.Add(StateOp.Put(Schema.Tasks, t.Id, t with { State = TaskState.Unreachable, WasUnreachable = true }));
                    count++;
                }
                var hostname = agent.Hostname;
                after.Add(() => log.AgentUnreachable(a.Id, hostname, (now - lastSeen).TotalSeconds, count));
            }
            return ops;
        }, ct);
    }

    /// <summary>Tasks on an unreachable agent are forgotten after the app's expungeAfterSeconds; if the agent returns, it kills them (they are no longer assigned).</summary>
    private static IEnumerable<StateOp> ExpungeUnreachable(StateSnapshot s, DateTimeOffset now)
    {
        foreach (var agent in s.All(Schema.Agents))
        {
            if (agent.Status != AgentStatus.Unreachable || !MarathonTime.TryParse(agent.LastSeenAt, out var since)) continue;
            foreach (var t in TaskIndex.OnAgent(s, agent.Id))
            {
                var app = s.Get(Schema.Apps, t.AppId);
                var expungeAfter = app?.UnreachableStrategy.ExpungeAfterSeconds ?? 0;
                if (app is null || (now - since).TotalSeconds >= expungeAfter)
                    yield return StateOp.Delete(Schema.Tasks, t.Id);
            }
        }
    }

    /// <summary>Versions of deleted apps are kept while tasks still run them; drop them once those tasks are gone.</summary>
    private static IEnumerable<StateOp> PruneUnusedVersions(StateSnapshot s)
    {
        HashSet<string>? inUse = null;
        foreach (var e in s.Entries(Schema.AppVersions.Name).Values)
        {
            var appId = e.Key[..e.Key.LastIndexOf('@')];
            if (s.Entry(Schema.Apps.Name, appId) is not null) continue;
            inUse ??= s.All(Schema.Tasks).Select(t => Schema.VersionKey(t.AppId, t.Version)).ToHashSet();
            if (inUse.Contains(e.Key)) continue;
            foreach (var op in AppWrites.DeleteVersion(e.Key)) yield return op;
        }
    }
}
