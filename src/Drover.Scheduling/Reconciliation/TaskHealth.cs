using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>When a task counts as healthy (and ready) for scaling, rolling upgrades and deployments.</summary>
public static class TaskHealth
{
    public static bool AllAlive(TaskRecord task)
    {
        if (task.HealthCheckResults.Count == 0) return false;
        foreach (var r in task.HealthCheckResults)
        {
            if (!r.Alive) return false;
        }
        return true;
    }

    /// <summary>
    /// RUNNING, and — if health checks apply — every result alive. A task of the app's current configuration is judged
    /// by the app's health checks (no results yet = not healthy). An older task is judged by the results it
    /// carries, since its version's definition is not at hand: with none it counts as healthy once running.
    /// </summary>
    public static bool IsHealthy(TaskRecord task, AppDefinition app)
    {
        if (task.State != TaskState.Running) return false;
        if (AppVersions.IsCurrent(app, task.Version)) return app.HealthChecks.Count == 0 || AllAlive(task);
        return task.HealthCheckResults.Count == 0 || AllAlive(task);
    }

    /// <summary>
    /// Healthy and — for a task of the app's current configuration when the app has readiness checks — a ready
    /// result for every check (none yet = not ready). This is what lets a new task replace an old one and a
    /// deployment finish (Marathon: "old tasks will only be killed if a new task has become ready"). Older
    /// tasks are judged by health alone: readiness only gates the tasks a deployment starts.
    /// </summary>
    public static bool IsReady(TaskRecord task, AppDefinition app)
    {
        if (!IsHealthy(task, app)) return false;
        if (app.ReadinessChecks.Count == 0 || !AppVersions.IsCurrent(app, task.Version)) return true;
        return ReadinessResults.AllReady(task.ReadinessCheckResults, app.ReadinessChecks.Count);
    }
}
