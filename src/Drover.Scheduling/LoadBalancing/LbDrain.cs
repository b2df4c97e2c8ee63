using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Core.LoadBalancing;

namespace Drover.Scheduling;

/// <summary>A registered load balancer as the drain decision sees it: the lb-state index it has applied and when it last said so.</summary>
public sealed record LbInstanceView(string Id, long AppliedIndex, DateTimeOffset LastSeen, TimeSpan HeartbeatInterval)
{
    /// <summary>Heartbeats missed for this many intervals: the lb no longer counts (Consul's TTL-style liveness, as agents have).</summary>
    public const int MissedHeartbeats = 3;

    public DateTimeOffset ExpiresAt => LastSeen + HeartbeatInterval * MissedHeartbeats;

    public bool IsLive(DateTimeOffset now) => now < ExpiresAt;
}

/// <summary>Why a held kill goes ahead.</summary>
public enum DrainRelease { Acknowledged, NoLoadBalancer, TimedOut }

/// <summary>The answer for one draining task: release now (with why) or wait, at the latest until <see cref="RecheckAt"/>.</summary>
public readonly record struct DrainDecision(DrainRelease? Release, DateTimeOffset? RecheckAt)
{
    public bool Releases => Release is not null;
}

/// <summary>
/// Drain before kill, decided purely from state and time: a task of a load-balanced app is first marked draining (the lbs
/// see that in their watch and take it out of rotation), and its kill goes to the agent once every live lb has applied
/// a state that shows it draining, or the drain timeout passes, or no lb is live. Apps without HAPROXY_* labels are
/// killed at once, as before.
/// </summary>
public static class LbDrain
{
    /// <summary>The task marked for killing; held for draining when its app is load-balanced and some lb is live.</summary>
    public static TaskRecord MarkForKill(TaskRecord task, AppDefinition? app, IReadOnlyCollection<LbInstanceView> lbs, DateTimeOffset now)
    {
        if (task.KillRequested) return task;
        var hold = LbDrainLabels.IsLoadBalanced(app) && task.State == TaskState.Running && // only running tasks can be in rotation
             lbs.Any(l => l.IsLive(now));
        return hold
            ? task with { KillRequested = true, Draining = true, DrainStartedAt = MarathonTime.ToWire(now) }
            : task with { KillRequested = true };
    }

    /// <summary>
    /// Whether a draining task's kill can go ahead. <paramref name="shownAtIndex"/> is the lb-state index from which the
    /// lb state shows the task draining: an lb that applied that index or a later one has taken it out of rotation.
    /// </summary>
    public static DrainDecision Decide(TaskRecord task, long shownAtIndex, AppDefinition? app, IReadOnlyCollection<LbInstanceView> lbs, DateTimeOffset now)
    {
        if (!task.Draining) return new(DrainRelease.Acknowledged, null);
        var started = MarathonTime.TryParse(task.DrainStartedAt, out var s) ? s : now;
        var deadline = started + LbDrainLabels.DrainTimeout(app);
        if (now >= deadline) return new(DrainRelease.TimedOut, null);
        DateTimeOffset? recheck = deadline;
        var anyLive = false;
        var waiting = false;
        foreach (var lb in lbs)
        {
            if (!lb.IsLive(now)) continue;
            anyLive = true;
            if (lb.AppliedIndex >= shownAtIndex) continue;
            waiting = true;
            if (lb.ExpiresAt < recheck) recheck = lb.ExpiresAt; // it may stop counting before the deadline
        }
        if (!anyLive) return new(DrainRelease.NoLoadBalancer, null);
        return waiting ? new(null, recheck) : new(DrainRelease.Acknowledged, null);
    }
}
