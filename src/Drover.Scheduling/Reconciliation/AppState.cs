using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Scheduling;

/// <summary>A task with what the reconciler needs to know about it, computed once.</summary>
internal sealed class TaskView(TaskRecord task, AgentInfo agent, bool reachable)
{
    public static readonly Comparison<TaskView> ById = static (a, b) => string.CompareOrdinal(a.Task.Id, b.Task.Id);

    public TaskRecord Task { get; } = task;
    public AgentInfo Agent { get; } = agent;
    /// <summary>Its agent is Active or Draining, so a kill can be delivered.</summary>
    public bool Reachable { get; } = reachable;
    private DateTimeOffset? _stagedAt;

    /// <summary>Parsed on demand: only kills and the reconnect check need it.</summary>
    public DateTimeOffset StagedAt => _stagedAt ??= MarathonTime.TryParse(Task.StagedAt, out var t) ? t : DateTimeOffset.MinValue;
}

/// <summary>One app and its tasks during a reconcile.</summary>
internal sealed class AppState(AppDefinition app)
{
    public AppDefinition App { get; } = app;
    /// <summary>Tasks that count toward the app's instances.</summary>
    public List<TaskView> Counted { get; } = [];
    /// <summary>Kill-requested tasks on reachable agents: not counted, but still holding their slot.</summary>
    public List<TaskView> Dying { get; } = [];
    /// <summary>A live task is on an agent that is gone or not Active: what to do about it depends on the time.</summary>
    public bool OffActiveAgents { get; set; }

    public bool IsOutdated(TaskView t) => !AppVersions.IsCurrent(App, t.Task.Version) || t.Agent.Status == AgentStatus.Draining;

    public bool IsUpgrading
    {
        get
        {
            foreach (var t in Counted) if (IsOutdated(t)) return true;
            foreach (var t in Dying) if (IsOutdated(t)) return true;
            return false;
        }
    }

    /// <summary>Healthy as far as we can tell: a task on an unreachable agent is not.</summary>
    public bool IsHealthy(TaskView t) => t.Reachable && TaskHealth.IsHealthy(t.Task, App);

    /// <summary>Healthy and, if the app has readiness checks and the task is current, ready.</summary>
    public bool IsReady(TaskView t) => t.Reachable && TaskHealth.IsReady(t.Task, App);

    public KillOrder Kill(TaskView t, KillReason reason) => new(t.Task.Id, t.Task.AppId, t.Task.AgentId, reason);

    /// <summary>
    /// Reachable tasks in the order they should be killed: not running first, then unhealthy, then by the app's
    /// killSelection (YOUNGEST_FIRST = latest stagedAt first), then by id.
    /// </summary>
    /// <param name="afterReconnect">The surplus came from an agent that returned: the app's <see cref="UnreachableKeep"/> preference
    /// decides right after "not running" (a task that is not running is never worth keeping).</param>
    public List<TaskView> Victims(List<TaskView> tasks, bool afterReconnect = false)
    {
        var list = new List<TaskView>(tasks.Count);
        foreach (var t in tasks) if (t.Reachable) list.Add(t);
        var oldestFirst = string.Equals(App.KillSelection, KillSelections.OldestFirst, StringComparison.OrdinalIgnoreCase);
        var keep = afterReconnect ? UnreachableKeep.Of(App) : UnreachableKeep.Preference.KillSelection;
        list.Sort((a, b) =>
        {
            var c = Rank(a).CompareTo(Rank(b));
            if (c != 0) return c;
            c = KeepRank(a, keep).CompareTo(KeepRank(b, keep));
            if (c != 0) return c;
            c = oldestFirst ? a.StagedAt.CompareTo(b.StagedAt) : b.StagedAt.CompareTo(a.StagedAt);
            return c != 0 ? c : string.CompareOrdinal(a.Task.Id, b.Task.Id);
        });
        return list;
    }

    private int Rank(TaskView t) => t.Task.State != TaskState.Running ? 0 : IsHealthy(t) ? 2 : 1;

    /// <summary>Running tasks first by the keep preference: 0 = to be killed before 1.</summary>
    private static int KeepRank(TaskView t, UnreachableKeep.Preference keep) => t.Task.State != TaskState.Running ? 0 : keep switch
    {
        UnreachableKeep.Preference.Returning => t.Task.WasUnreachable ? 1 : 0,
        UnreachableKeep.Preference.Replacement => t.Task.WasUnreachable ? 0 : 1,
        _ => 0,
    };
}
