using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Core.Retry;

namespace Drover.Scheduling;

/// <summary>
/// Marathon's launch backoff as pure functions; "no backoff" is <c>null</c>. The first failure delays the next
/// launch by backoffSeconds, each further failure multiplies the delay by backoffFactor, capped at
/// maxLaunchDelaySeconds. Failures are TASK_FAILED / TASK_FINISHED (and TASK_ERROR), not kills.
/// </summary>
public static class BackoffPolicy
{
    /// <summary>A task without health checks that has been running this long is considered to run well.</summary>
    public static readonly TimeSpan RanWellAfter = TimeSpan.FromSeconds(10);

    public static LaunchBackoff OnTaskFailed(AppDefinition app, LaunchBackoff? current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(app);
        var max = Math.Max(0, app.MaxLaunchDelaySeconds);
        var fresh = current is null || !AppVersions.IsCurrent(app, current.Version);
        var delay = fresh ? Math.Clamp(app.BackoffSeconds, 0, max) : Backoff.Grow(current!.DelaySeconds, app.BackoffFactor, max);
        var failures = fresh ? 1 : current!.Failures + 1;
        return new LaunchBackoff(failures, delay, now + TimeSpan.FromSeconds(delay), app.Version);
    }

    /// <summary>A new configuration starts without delay (a scale-only version keeps the delay: scaling fixes no crash loop).</summary>
    public static LaunchBackoff? OnNewVersion(AppDefinition app, LaunchBackoff? current) =>
        current is not null && AppVersions.IsCurrent(app, current.Version) ? current : null;

    /// <summary>Clears the delay once a task of the current version runs well (see <see cref="RanWell"/>).</summary>
    public static LaunchBackoff? OnRanWell(AppDefinition app, LaunchBackoff? current, TaskRecord task, DateTimeOffset now) =>
        current is not null && RanWell(app, task, now) ? null : current;

    /// <summary><c>DELETE /v2/queue/{app}/delay</c>.</summary>
    public static LaunchBackoff? Reset(LaunchBackoff? current) => null;

    /// <summary>
    /// A task of the app's current configuration runs well when it is RUNNING and either passes all of the app's
    /// health checks or, for an app without health checks, has been running for <see cref="RanWellAfter"/>.
    /// </summary>
    public static bool RanWell(AppDefinition app, TaskRecord task, DateTimeOffset now)
    {
        if (task.State != TaskState.Running || !AppVersions.IsCurrent(app, task.Version)) return false;
        if (app.HealthChecks.Count > 0) return TaskHealth.AllAlive(task);
        return MarathonTime.TryParse(task.StartedAt, out var started) && now - started >= RanWellAfter;
    }
}
