namespace Drover.Scheduling;

public static partial class Reconciler
{
    /// <summary>
    /// Rolling replacement of outdated tasks (old version, or on a draining agent) under the app's
    /// upgradeStrategy, as Marathon's TaskReplaceActor does, but from the snapshot alone:
    /// healthy tasks (new healthy and ready + old healthy) never drop below ceil(instances × minimumHealthCapacity) through
    /// our kills, and tasks that still exist (kill-requested ones included) never exceed
    /// floor(instances × (1 + maximumOverCapacity)) through our launches. With minimum == maximum there would be
    /// no room to move, so one extra instance is allowed (Marathon does the same for non-resident apps).
    /// Returns how many new-version instances to launch.
    /// </summary>
    private static int PlanUpgrade(AppState s, List<KillOrder> kills)
    {
        var app = s.App;
        var desired = Math.Max(0, app.Instances);
        var minHealthy = (int)Math.Ceiling(desired * app.UpgradeStrategy.MinimumHealthCapacity - 1e-9);
        var maxCapacity = (int)Math.Floor(desired * (1 + app.UpgradeStrategy.MaximumOverCapacity) + 1e-9);
        if (minHealthy == maxCapacity && maxCapacity <= s.Counted.Count) maxCapacity++;

        var current = new List<TaskView>();
        var outdated = new List<TaskView>();
        foreach (var t in s.Counted) (s.IsOutdated(t) ? outdated : current).Add(t);

        var killed = new HashSet<TaskView>();
        if (current.Count > desired)
        {
            var surplus = current.Count - desired;
            foreach (var t in s.Victims(current))
            {
                if (surplus-- == 0) break;
                kills.Add(s.Kill(t, KillReason.OverCapacity));
                killed.Add(t);
            }
        }

        var healthy = 0;
        // A new task counts once it is healthy and ready (readiness checks); an old one while it is healthy.
        foreach (var t in current) if (!killed.Contains(t) && s.IsReady(t)) healthy++;
        foreach (var t in outdated) if (s.IsHealthy(t)) healthy++;

        // Unhealthy outdated tasks serve nobody: they go at once. Healthy ones only while enough stay healthy.
        var budget = healthy - minHealthy;
        foreach (var t in s.Victims(outdated))
        {
            var isHealthy = s.IsHealthy(t);
            if (isHealthy && budget <= 0) continue;
            if (isHealthy) budget--;
            kills.Add(s.Kill(t, AppVersions.IsCurrent(app, t.Task.Version) ? KillReason.AgentDraining : KillReason.OutdatedVersion));
        }

        var alive = current.Count - killed.Count;
        // Tasks being killed still hold their slot until they are gone.
        var existing = s.Counted.Count + s.Dying.Count;
        return Math.Max(0, Math.Min(desired - alive, maxCapacity - existing));
    }
}
