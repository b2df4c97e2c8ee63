using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Deployments;

/// <summary>Whether an app has reached its deployment target, and a fingerprint of how far it got (for the progress deadline).</summary>
public static class DeploymentConvergence
{
    public static bool IsConverged(StateSnapshot s, string appId, AppDefinition? target, IReadOnlyList<TaskRecord> tasksOfApp)
    {
        if (target is null) return s.Get(Schema.Apps, appId) is null && tasksOfApp.Count == 0;
        var app = s.Get(Schema.Apps, appId);
        if (app is null || app.Version != target.Version) return false;
        if (tasksOfApp.Count != app.Instances) return false;
        foreach (var t in tasksOfApp)
        {
            if (t.KillRequested || !AppVersions.IsCurrent(app, t.Version) || !TaskHealth.IsReady(t, app)) return false;
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
