using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

/// <summary>
/// A tiny fake cluster for reconcile tests: applies plans the way the server would (kills mark
/// KillRequested, launches add STAGING tasks) and advances tasks one state per <see cref="Progress"/>.
/// </summary>
internal sealed class Sim
{
    public List<AgentInfo> Agents { get; } = [];
    public List<AppDefinition> Apps { get; } = [];
    public List<TaskRecord> Tasks { get; } = [];
    public Dictionary<string, LaunchBackoff> Backoffs { get; } = [];
    public DateTimeOffset Now { get; set; } = F.T0;
    /// <summary>Whether tasks pass their health checks once running.</summary>
    public bool Healthy { get; set; } = true;
    /// <summary>Whether running tasks pass their readiness checks (results come with the first health results).</summary>
    public bool Ready { get; set; } = true;
    private int _seq;

    public ReconcileInput Input => new()
    {
        Apps = Apps.ToArray(),
        Tasks = Tasks.ToArray(),
        Agents = Agents.ToArray(),
        Backoffs = new Dictionary<string, LaunchBackoff>(Backoffs),
        Now = Now,
    };

    public ReconcilePlan Plan() => Reconciler.Plan(Input);

    public ReconcilePlan Step()
    {
        var plan = Plan();
        Apply(plan);
        return plan;
    }

    public void Apply(ReconcilePlan plan)
    {
        foreach (var k in plan.Kills)
        {
            var i = Tasks.FindIndex(t => t.Id == k.TaskId);
            Tasks[i] = Tasks[i] with { KillRequested = true };
        }
        foreach (var l in plan.Launches)
        {
            Tasks.Add(new TaskRecord
            {
                Id = $"{l.App.Id.TrimStart('/')}.t{++_seq:D3}",
                AppId = l.App.Id,
                AgentId = l.Placement.AgentId,
                Host = l.Placement.Hostname,
                State = TaskState.Staging,
                Version = l.Version,
                StagedAt = F.At(Now),
                Ports = l.Placement.HostPorts,
                Cpus = l.App.Cpus,
                MemMb = l.App.Mem,
            });
        }
        foreach (var id in plan.BackoffResets) Backoffs.Remove(id);
    }

    /// <summary>One second passes: killed tasks end, staging ones run, running ones get health (and readiness) results.</summary>
    public void Progress()
    {
        Now = Now.AddSeconds(1);
        Tasks.RemoveAll(t => t.KillRequested && Reachable(t));
        for (var i = 0; i < Tasks.Count; i++)
        {
            var t = Tasks[i];
            var app = Apps.FirstOrDefault(a => a.Id == t.AppId);
            if (t.State == TaskState.Staging)
                Tasks[i] = t with { State = TaskState.Running, StartedAt = F.At(Now) };
            else if (t.State == TaskState.Running && app is { HealthChecks.Count: > 0 } && t.HealthCheckResults.Count == 0)
                Tasks[i] = t with { HealthCheckResults = [new HealthCheckResult { Alive = Healthy, Status = Healthy ? "passing" : "critical" }] };
            if (t.State == TaskState.Running && app is { ReadinessChecks.Count: > 0 } && t.Version == app.Version && !t.ReadinessCheckResults.Any(r => r.Ready))
                Tasks[i] = Tasks[i] with { ReadinessCheckResults = [.. app.ReadinessChecks.Select(c => new ReadinessCheckResult { Name = c.Name, TaskId = t.Id, Ready = Ready })] };
        }
    }

    private bool Reachable(TaskRecord t) => Agents.Any(a => a.Id == t.AgentId && a.Status != AgentStatus.Unreachable);

    public void SetAgent(string id, Func<AgentInfo, AgentInfo> change)
    {
        var i = Agents.FindIndex(a => a.Id == id);
        Agents[i] = change(Agents[i]);
    }

    public void SetApp(AppDefinition app)
    {
        var i = Apps.FindIndex(a => a.Id == app.Id);
        if (i < 0) Apps.Add(app); else Apps[i] = app;
    }

    public IEnumerable<TaskRecord> Of(string appId) => Tasks.Where(t => t.AppId == appId);
}
