using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>What one app's tasks say to a deployment step: whether it reached its target, and how far it got.</summary>
/// <param name="Mark">The fingerprint of <see cref="DeploymentConvergence.Mark"/>: it moves when the app makes progress.</param>
public readonly record struct AppConvergence(bool Converged, string Mark);

/// <summary>Whether an app has reached its deployment target, and a fingerprint of how far it got (for the progress deadline).</summary>
/// <remarks>Nothing here depends on the time: the same definitions and tasks always give the same answer, so a caller may keep it while they stay the same.</remarks>
public static class DeploymentConvergence
{
    /// <summary><see cref="IsConverged"/> and <see cref="Mark"/> together.</summary>
    public static AppConvergence Of(AppDefinition? current, AppDefinition? target, IReadOnlyList<TaskRecord> tasksOfApp) =>
        new(IsConverged(current, target, tasksOfApp), Mark(current, tasksOfApp));

    /// <param name="current">The app's stored definition (null = it does not exist).</param>
    /// <param name="target">What the deployment takes it to (null = removed).</param>
    public static bool IsConverged(AppDefinition? current, AppDefinition? target, IReadOnlyList<TaskRecord> tasksOfApp)
    {
        if (target is null) return current is null && tasksOfApp.Count == 0;
        if (current is null || current.Version != target.Version) return false;
        if (tasksOfApp.Count != current.Instances) return false;
        foreach (var t in tasksOfApp)
        {
            if (t.KillRequested || !AppVersions.IsCurrent(current, t.Version) || !TaskHealth.IsReady(t, current)) return false;
        }
        return true;
    }

    /// <summary>Counts that move when a deployment makes progress: healthy current tasks, outdated tasks, all tasks.</summary>
    public static string Mark(AppDefinition? app, IReadOnlyList<TaskRecord> tasksOfApp)
    {
        if (app is null) return $"stop:{tasksOfApp.Count}";
        int healthy = 0, outdated = 0;
        foreach (var t in tasksOfApp)
        {
            if (!AppVersions.IsCurrent(app, t.Version)) outdated++;
            else if (!t.KillRequested && TaskHealth.IsReady(t, app)) healthy++;
        }
        return $"{healthy}/{outdated}/{tasksOfApp.Count}";
    }

    /// <summary>Human summary for a failed deployment.</summary>
    public static string Describe(AppDefinition? app, IReadOnlyList<TaskRecord> tasksOfApp)
    {
        if (app is null) return $"{tasksOfApp.Count} task(s) still running";
        var healthy = tasksOfApp.Count(t => AppVersions.IsCurrent(app, t.Version) && !t.KillRequested && TaskHealth.IsHealthy(t, app));
        var outdated = tasksOfApp.Count(t => !AppVersions.IsCurrent(app, t.Version));
        return $"{healthy} of {app.Instances} new instance(s) healthy, {outdated} old instance(s) left";
    }
}
