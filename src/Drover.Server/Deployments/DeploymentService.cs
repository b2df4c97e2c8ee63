using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Scheduling;
using Drover.Server.Http;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Deployments;

/// <summary>
/// Creates deployments for app changes: refuses changes to apps locked by a running deployment
/// (409) unless forced, orders steps by dependencies, and writes the first step's definitions.
/// </summary>
public sealed class DeploymentService(TimeProvider time, DeploymentEvents events, Events.TaskEvents taskEvents)
{
    public sealed record Planned(DeploymentRecord Record, IReadOnlyList<StateOp> Ops, IReadOnlyList<DeploymentRecord> Canceled);

    /// <summary>
    /// Plans one deployment that takes every app in <paramref name="targets"/> to its definition (null = remove).
    /// Definitions must already carry their new version. Returns the ops to write (record, cancellations, step 1).
    /// </summary>
    public Planned Plan(StateSnapshot s, IReadOnlyDictionary<string, AppDefinition?> targets, IReadOnlyDictionary<string, string> actions,
        bool force, string version, string? revertOf = null, Func<string, IEnumerable<string>>? extraDependencies = null) =>
        Plan(s, new DeploymentRequest { Targets = targets, Actions = actions, Version = version, Force = force, RevertOf = revertOf, ExtraDependencies = extraDependencies });

    private Planned Plan(StateSnapshot s, DeploymentRequest request)
    {
        var plan = DeploymentPlanner.Plan(request, s.All(Schema.Deployments).ToList(), id => s.Get(Schema.Apps, id), Guid.NewGuid().ToString("D"), time.GetUtcNow());
        if (plan is DeploymentPlan.Locked locked) throw new DeploymentLockedException(locked.DeploymentIds);
        var (record, canceled) = (DeploymentPlan.Ready)plan;
        var ops = new List<StateOp>();
        foreach (var c in canceled) ops.Add(StateOp.Delete(Schema.Deployments, c.Id));
        ops.Add(StateOp.Put(Schema.Deployments, record.Id, record));
        ops.AddRange(ApplyStep(s, record, 1));
        return new Planned(record, ops, canceled);
    }

    /// <summary>Writes the target definitions of the apps in step <paramref name="step"/> (1-based).</summary>
    public static IEnumerable<StateOp> ApplyStep(StateSnapshot s, DeploymentRecord d, int step)
    {
        foreach (var (appId, target) in DeploymentPlanner.StepWrites(d, step))
        {
            var ops = target is not null ? AppWrites.Put(s, target) : AppWrites.Delete(s, appId);
            foreach (var op in ops) yield return op;
        }
    }

    /// <summary>Adds the events of a newly planned deployment to the write that stores it.</summary>
    public void Started(WriteEffects fx, Planned p)
    {
        foreach (var c in p.Canceled) events.Failed(fx, c, "canceled: overridden by a forced change (deployment " + p.Record.Id + ")");
        events.Info(fx, p.Record);
    }

    /// <summary>
    /// A deployment that takes the apps of <paramref name="d"/> back to what they were before it (new versions, original config).
    /// Its ops also mark the versions <paramref name="d"/> wrote as reverted (<paramref name="reason"/>), in the same batch,
    /// so the record exists exactly when the revert does.
    /// </summary>
    public Planned PlanRevert(StateSnapshot s, DeploymentRecord d, string reason)
    {
        var version = VersionStamps.Next(time.GetUtcNow(), d.AffectedApps.Select(id => s.Get(Schema.Apps, id)?.Version).Append(d.Version));
        var planned = Plan(s, DeploymentPlanner.Revert(d, id => s.Get(Schema.Apps, id), version));
        var marks = RevertMarks(s, d, planned, version, reason).ToList();
        return marks.Count == 0 ? planned : planned with { Ops = [.. planned.Ops, .. marks] };
    }

    /// <summary>One mark per version <paramref name="reverted"/> actually stored (apps of steps it never reached have none).</summary>
    private static IEnumerable<StateOp> RevertMarks(StateSnapshot s, DeploymentRecord reverted, Planned revert, string at, string reason)
    {
        var deleted = revert.Ops.Where(o => o.Value is null && o.Collection == Schema.AppVersions.Name).Select(o => o.Key).ToHashSet();
        foreach (var (appId, target) in reverted.Targets)
        {
            if (target.Version is null) continue;
            var key = Schema.VersionKey(appId, target.Version);
            if (s.Entry(Schema.AppVersions.Name, key) is null || deleted.Contains(key)) continue;
            yield return StateOp.Put(Schema.RevertedVersions, key, new RevertedVersion
            {
                AppId = appId,
                Version = target.Version,
                RevertedAt = at,
                RevertedBy = revert.Record.Id,
                Reason = reason,
            });
        }
    }

    public void AppTerminated(WriteEffects fx, string appId) => taskEvents.AppTerminated(fx, appId);

    public static IReadOnlyList<DeploymentRef> RefsFor(StateSnapshot s, string appId) =>
        s.All(Schema.Deployments).Where(d => d.AffectedApps.Contains(appId)).Select(d => new DeploymentRef(d.Id)).ToList();
}
