using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Scheduling;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.LoadBalancing;

/// <summary>The server's kill paths (reconciler, <c>drover kill</c>, agent drain deadlines) go through here, so every kill of a load-balanced task is drained first.</summary>
public static class LbKills
{
    /// <summary>The definition the task runs (its version, kept while tasks run it), else the app's current one.</summary>
    public static AppDefinition? AppOf(StateSnapshot s, TaskRecord t) =>
        s.Get(Schema.AppVersions, Schema.VersionKey(t.AppId, t.Version)) ?? s.Get(Schema.Apps, t.AppId);

    public static TaskRecord MarkForKill(StateSnapshot s, TaskRecord t, LbRegistry lbs, DateTimeOffset now) =>
        LbDrain.MarkForKill(t, AppOf(s, t), lbs.Views(), now);

    /// <summary>Writes that release held kills whose drain is over, with why.</summary>
    public static IEnumerable<(StateOp Op, TaskRecord Task, DrainRelease Why)> Releases(StateSnapshot s, LbRegistry lbs, LbStateCache cache, DateTimeOffset now)
    {
        if (lbs.AwaitingRegistrations(now)) yield break; // a new leader: the lbs have not heartbeaten it yet
        IReadOnlyList<LbInstanceView>? views = null;
        LbStateCache.Entry? shown = null;
        foreach (var t in DrainingTasks.Of(s))
        {
            views ??= lbs.Views();
            // the lb state shows this write from some index on; rendering it here if no lb has asked yet
            shown ??= cache.Get(s);
            // not shown draining in a newer state: it ended or was released meanwhile, and the next pass sees that
            if (!shown.DrainingSince.TryGetValue(t.Id, out var shownAt)) continue;
            var decision = LbDrain.Decide(t, shownAt, AppOf(s, t), views, now);
            if (decision.Release is { } why) yield return (StateOp.Put(Schema.Tasks, t.Id, t with { Draining = false }), t, why);
        }
    }

    public static string Describe(DrainRelease why, TaskRecord t, DateTimeOffset now) => why switch
    {
        DrainRelease.Acknowledged => "drained from every load balancer",
        DrainRelease.NoLoadBalancer => "no load balancer left to drain it",
        _ => $"load balancer drain timed out after {(MarathonTime.TryParse(t.DrainStartedAt, out var s) ? (now - s).TotalSeconds : 0):0.#} s",
    };
}
