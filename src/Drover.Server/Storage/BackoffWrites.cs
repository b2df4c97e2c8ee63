using Drover.Scheduling;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>
/// The launch backoff a task failure writes, in the batch that records the failure (AgentService); the reconcile
/// loop's LaunchQueue reads and resets them. Here, below both, so that Agents does not depend on Reconcile.
/// </summary>
public static class BackoffWrites
{
    /// <summary>
    /// The backoff a failed task of <paramref name="appId"/> sets, given the one it had (<paramref name="current"/>);
    /// null when it sets none: an old version failing during an upgrade does not delay the new one.
    /// </summary>
    public static LaunchBackoff? OnTaskFailed(StateSnapshot s, string appId, string taskVersion, LaunchBackoff? current, DateTimeOffset now)
    {
        var app = s.Get(Schema.Apps, appId);
        if (app is null || !AppVersions.IsCurrent(app, taskVersion)) return null;
        return BackoffPolicy.OnTaskFailed(app, current ?? s.Get(Schema.LaunchBackoffs, appId), now);
    }
}
