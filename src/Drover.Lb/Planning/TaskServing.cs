using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Lb.Planning;

/// <summary>What the lb may do with a task's server, from what the server reports about the task.</summary>
public enum Serving
{
    /// <summary>Running, healthy and ready: takes traffic.</summary>
    Serve,
    /// <summary>Being killed (or asked to be): finishes its in-flight requests, gets no new ones.</summary>
    Drain,
    /// <summary>Not (yet, or any more) fit for traffic: not a server.</summary>
    Out,
    /// <summary>Nothing is known (no health results yet, agent unreachable): whatever the last good state said stays.</summary>
    Unknown,
}

/// <summary>
/// Marathon's health rules for a task, as the lb needs them. The same rules as the scheduler's TaskHealth, with one
/// difference: "no results yet" is Unknown here rather than unhealthy, so the lb keeps a task it already served (after
/// a server failover the results start empty; marathon#3419 with marathon-lb emptied backends that way) and does not
/// add a task it never served.
/// </summary>
public static class TaskServing
{
    public static Serving Of(TaskRecord task, AppDefinition app)
    {
        if (task.KillRequested || task.State == TaskState.Killing) return Serving.Drain;
        if (task.State == TaskState.Unreachable) return Serving.Unknown;
        if (task.State != TaskState.Running) return Serving.Out;
        var current = IsCurrent(app, task.Version);
        var checks = current ? app.HealthChecks.Count : task.HealthCheckResults.Count;
        if (checks > 0)
        {
            if (task.HealthCheckResults.Count == 0) return Serving.Unknown;
            if (task.HealthCheckResults.Any(r => !r.Alive)) return Serving.Out;
        }
        // Readiness gates only the tasks of the current configuration, and a ready result stays ready (Marathon).
        if (current && app.ReadinessChecks.Count > 0 && !ReadinessResults.AllReady(task.ReadinessCheckResults, app.ReadinessChecks.Count))
            return Serving.Out;
        return Serving.Serve;
    }

    /// <summary>Launched under the app's current configuration (a scale-only version change keeps tasks current), as the scheduler judges it.</summary>
    private static bool IsCurrent(AppDefinition app, string? version)
    {
        if (version is null) return app.Version is null;
        if (string.Equals(version, app.Version, StringComparison.Ordinal)) return true;
        var changed = app.VersionInfo?.LastConfigChangeAt;
        return changed is not null && MarathonTime.TryParse(version, out var v) && MarathonTime.TryParse(changed, out var c) && v >= c;
    }
}
