using Drover.Api.Marathon;
using Drover.Core.Json;

namespace Drover.Cli.Progress;

/// <summary>Builds <see cref="AppProgress"/> from what the API shows. Pure: the time comes in.</summary>
public static class ProgressModel
{
    /// <param name="app">The app, or null once it is gone (a stop).</param>
    /// <param name="leftoverTasks">For a removed app: the tasks still listed for it.</param>
    public static AppProgress ForApp(DeploymentActionWire action, AppInfo? app, IReadOnlyList<MarathonTask> leftoverTasks,
        QueueItem? queued, DateTimeOffset deploymentStart)
    {
        if (app is null)
            return new AppProgress { AppId = action.App, Action = action.Action, Target = 0, OldLeft = leftoverTasks.Count };
        var tasks = app.Tasks ?? [];
        var config = app.VersionInfo?.LastConfigChangeAt ?? app.Version ?? "";
        var fresh = tasks.Where(t => IsCurrent(t, config)).ToList();
        var running = fresh.Where(t => t.State == "TASK_RUNNING").ToList();
        var hasChecks = app.HealthChecks.Count > 0;
        var healthy = running.Count(t => !hasChecks || (t.HealthCheckResults is { Count: > 0 } r && r.All(x => x.Alive)));
        var stop = action.Action == "StopApplication";
        return new AppProgress
        {
            AppId = app.Id,
            Action = action.Action,
            Target = stop ? 0 : app.Instances,
            NewRunning = running.Count,
            NewHealthy = healthy,
            HasHealthChecks = hasChecks,
            OldLeft = stop ? tasks.Count - fresh.Count : tasks.Count - fresh.Count,
            Reasons = stop ? [] : WaitReasons.For(app, fresh, queued, deploymentStart),
        };
    }

    /// <summary>A task runs the app's current config when it was launched at or after the last config change.</summary>
    public static bool IsCurrent(MarathonTask task, string configVersion) =>
        task.Version is { } v && string.CompareOrdinal(v, configVersion) >= 0;

    public static DateTimeOffset Parse(string? timestamp, DateTimeOffset fallback) =>
        timestamp is not null && MarathonTime.TryParse(timestamp, out var t) ? t : fallback;
}
