using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>Tasks an agent restarted by itself while cut off from the server.</summary>
/// <remarks>
/// Tasks an agent restarted by itself while cut off from the server (later incarnations, <c>…._app.N+1</c>, of a
/// task the server assigned to it). The agent's report is authoritative for its own tasks: such a task takes the
/// place of its predecessor — same instance, app version, host and ports — as long as the server still has that
/// predecessor on the same agent (or saw it end there moments ago: the report of its end, sent into the partition,
/// may arrive before the report of its successor) and did not want it gone. Otherwise the task stays unknown, is not
/// assigned, and the agent kills it (as Marathon kills unknown tasks an agent reports after its instance was expunged).
/// A replacement the server launched meanwhile is then surplus, and the reconciler keeps the app at its count.
/// </remarks>
public static class LocalRestarts
{
    /// <summary>How long after a task's end its record still lets a later incarnation be adopted.</summary>
    public static readonly TimeSpan RecentEnough = TimeSpan.FromMinutes(15);

    public sealed record Adoption(TaskRecord Task, TaskRecord Predecessor);

    public static Adoption? Adopt(StateSnapshot s, string agentId, TaskStatusReport report, TaskState state, DateTimeOffset now)
    {
        TaskRecord? predecessor = null;
        foreach (var t in TaskIndex.OnAgent(s, agentId).Concat(Tasks.RecentTasks.EndedOn(s, agentId, now - RecentEnough)))
        {
            if (t.AppId != report.AppId || !TaskIncarnation.Succeeds(report.TaskId, t.Id)) continue;
            if (predecessor is null || TaskIncarnation.Of(t.Id) > TaskIncarnation.Of(predecessor.Id)) predecessor = t;
        }
        if (predecessor is null || predecessor.KillRequested) return null;
        if (report.Version is { } v && v != predecessor.Version) return null;
        if (s.Get(Schema.Apps, predecessor.AppId) is null) return null;
        var stagedAt = report.StartedAt ?? MarathonTime.ToWire(now);
        var task = predecessor with
        {
            Id = report.TaskId,
            State = state,
            StagedAt = stagedAt,
            StartedAt = state == TaskState.Running ? report.StartedAt ?? MarathonTime.ToWire(now) : null,
            HealthCheckResults = report.HealthCheckResults,
            ReadinessCheckResults = report.ReadinessCheckResults,
            Message = report.Message,
            // it continues a task of an agent that was cut off: a returning task, whatever the server thought meanwhile
            WasUnreachable = true,
        };
        return new Adoption(task, predecessor);
    }
}
