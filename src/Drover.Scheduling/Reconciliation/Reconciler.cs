using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Scheduling;

/// <summary>
/// Compares desired state (apps) with actual state (tasks, agents) and returns what to launch and kill.
/// Pure and deterministic; the server applies the plan and calls again on the next change or tick.
/// </summary>
/// <remarks>
/// Which tasks count toward an app's instances: not kill-requested, and on an agent that is reachable — or
/// unreachable for less than the app's unreachableStrategy.inactiveAfterSeconds (measured from the agent's
/// lastSeenAt). Tasks on agents that are unknown, or unreachable for longer, are replaced; if the agent comes
/// back, the surplus is killed. Kills are only issued for tasks on reachable agents.
/// </remarks>
public static partial class Reconciler
{
    public static ReconcilePlan Plan(ReconcileInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = input.Now;
        var agents = new Dictionary<string, AgentInfo>(input.Agents.Count, StringComparer.Ordinal);
        foreach (var a in input.Agents) agents.TryAdd(a.Id, a);
        var apps = new Dictionary<string, AppState>(input.Apps.Count, StringComparer.Ordinal);
        foreach (var app in input.Apps) apps.TryAdd(app.Id, new AppState(app));
        var ordered = apps.Values.ToArray();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.App.Id, b.App.Id));

        var lastSeen = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var kills = new List<KillOrder>();
        var viewTasks = new List<TaskRecord>(input.Tasks.Count);
        var deleted = new List<TaskRecord>();
        foreach (var t in input.Tasks)
        {
            if (t.State.IsTerminal()) continue;
            agents.TryGetValue(t.AgentId, out var agent);
            var reachable = agent is { Status: AgentStatus.Active or AgentStatus.Draining };
            if (!apps.TryGetValue(t.AppId, out var state))
            {
                if (reachable)
                {
                    viewTasks.Add(t);
                    if (!t.KillRequested) deleted.Add(t);
                }
                continue;
            }
            if (agent is not { Status: AgentStatus.Active }) state.OffActiveAgents = true;
            if (agent is null) continue; // agent gone: task is lost, replace it
            if (!reachable && IsInactive(agent, state.App, now, lastSeen)) continue;
            viewTasks.Add(t);
            if (t.KillRequested)
            {
                if (reachable) state.Dying.Add(new TaskView(t, agent, reachable));
                continue;
            }
            state.Counted.Add(new TaskView(t, agent, reachable));
        }
        deleted.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        foreach (var t in deleted) kills.Add(new KillOrder(t.Id, t.AppId, t.AgentId, KillReason.AppDeleted));

        var requests = new List<PlacementRequest>();
        var queue = new List<QueueEntry>();
        var resets = new List<string>();
        var settled = new List<string>();
        foreach (var state in ordered)
        {
            var app = state.App;
            state.Counted.Sort(TaskView.ById);
            var upgrading = state.IsUpgrading;
            if (!upgrading && !state.OffActiveAgents && state.Counted.Count == Math.Max(0, app.Instances) && !input.Backoffs.ContainsKey(app.Id))
            {
                settled.Add(app.Id); // PlanSteady would find neither a surplus nor a deficit
                continue;
            }
            var want = upgrading ? PlanUpgrade(state, kills) : PlanSteady(state, kills, now);

            var backoff = CurrentBackoff(input, state, now, resets);
            if (want <= 0) continue;
            if (backoff is not null && backoff.IsActive(now))
            {
                queue.Add(new QueueEntry
                {
                    AppId = app.Id, App = app, Count = want,
                    DelayUntil = backoff.NextLaunchAt,
                    TimeLeftSeconds = backoff.Remaining(now).TotalSeconds,
                });
                continue;
            }
            requests.Add(new PlacementRequest(app, want));
        }

        var launches = new List<LaunchOrder>();
        if (requests.Count > 0)
        {
            var result = Placer.Place(new ClusterView(input.Agents, viewTasks) { Usage = input.AgentUsage }, requests);
            foreach (var p in result.Placements) launches.Add(new LaunchOrder(apps[p.AppId].App, p));
            foreach (var u in result.Unplaced)
            {
                queue.Add(new QueueEntry
                {
                    AppId = u.AppId, App = apps[u.AppId].App, Count = u.Count,
                    RejectSummary = u.Reasons, Processed = u.Processed,
                });
            }
        }
        queue.Sort(static (a, b) => string.CompareOrdinal(a.AppId, b.AppId));
        return new ReconcilePlan { Launches = launches, Kills = kills, Queue = queue, BackoffResets = resets, Settled = settled };
    }

    private static bool IsInactive(AgentInfo agent, AppDefinition app, DateTimeOffset now, Dictionary<string, DateTimeOffset?> lastSeen)
    {
        if (!lastSeen.TryGetValue(agent.Id, out var seen))
        {
            seen = MarathonTime.TryParse(agent.LastSeenAt, out var t) ? t : null;
            lastSeen.Add(agent.Id, seen);
        }
        return seen is not { } at || (now - at).TotalSeconds >= app.UnreachableStrategy.InactiveAfterSeconds;
    }

    private static LaunchBackoff? CurrentBackoff(ReconcileInput input, AppState state, DateTimeOffset now, List<string> resets)
    {
        if (!input.Backoffs.TryGetValue(state.App.Id, out var backoff)) return null;
        var ranWell = false;
        foreach (var t in state.Counted)
        {
            if (BackoffPolicy.RanWell(state.App, t.Task, now)) { ranWell = true; break; }
        }
        if (!AppVersions.IsCurrent(state.App, backoff.Version) || ranWell)
        {
            resets.Add(state.App.Id);
            return null;
        }
        return backoff;
    }

    /// <summary>No outdated tasks: kill the surplus or ask for the deficit. Returns how many to launch.</summary>
    private static int PlanSteady(AppState s, List<KillOrder> kills, DateTimeOffset now)
    {
        var desired = Math.Max(0, s.App.Instances);
        var excess = s.Counted.Count - desired;
        if (excess <= 0) return -excess;
        var reason = ExcessLooksLikeReconnect(s) ? KillReason.DuplicateAfterReconnect : KillReason.ScaleDown;
        // A returning agent reports a task it restarted while cut off as it starts, then as it runs: choose the
        // survivors once it runs (or ended), not from the first report, unless it is stuck starting.
        if (reason == KillReason.DuplicateAfterReconnect && s.Counted.Any(t => IsReturningAndStarting(t, now))) return 0;
        foreach (var t in s.Victims(s.Counted, afterReconnect: reason == KillReason.DuplicateAfterReconnect))
        {
            if (excess-- == 0) break;
            kills.Add(s.Kill(t, reason));
        }
        return 0;
    }

    /// <summary>How long a returning task may take to start before the surplus is settled without it.</summary>
    internal static readonly TimeSpan ReturningStartGrace = TimeSpan.FromSeconds(60);

    private static bool IsReturningAndStarting(TaskView t, DateTimeOffset now) =>
        t.Task.WasUnreachable && t.Task.State is TaskState.Staging or TaskState.Starting && now - t.StagedAt < ReturningStartGrace;

    /// <summary>
    /// Surplus after a scale-down has only tasks staged before the app's last scaling; a task staged after it
    /// was launched because the app was short, so a surplus now means replaced tasks came back.
    /// </summary>
    private static bool ExcessLooksLikeReconnect(AppState s)
    {
        var scaledAt = s.App.VersionInfo?.LastScalingAt ?? s.App.Version;
        if (!MarathonTime.TryParse(scaledAt, out var at)) return false;
        foreach (var t in s.Counted)
        {
            if (t.StagedAt > at) return true;
        }
        return false;
    }
}
