using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Server.Apps;
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
        bool force, string version, string? revertOf = null, Func<string, IEnumerable<string>>? extraDependencies = null)
    {
        var running = s.All(Schema.Deployments).ToList();
        var conflicting = running.Where(d => d.AffectedApps.Any(targets.ContainsKey)).ToList();
        if (conflicting.Count > 0 && !force)
        {
            throw new DeploymentLockedException(conflicting.Select(d => d.Id).ToList());
        }
        var originals = new Dictionary<string, AppDefinition>();
        foreach (var id in targets.Keys)
        {
            // a forced change over a running deployment reverts to what was there before that deployment
            var before = revertOf is null
                ? conflicting.Select(d => d.Originals.TryGetValue(id, out var o) ? o : null).FirstOrDefault(o => o is not null) ?? s.Get(Schema.Apps, id)
                : s.Get(Schema.Apps, id);
            if (before is not null) originals[id] = before;
        }
        var now = MarathonTime.ToWire(time.GetUtcNow());
        var record = new DeploymentRecord
        {
            Id = Guid.NewGuid().ToString("D"),
            Version = version,
            AffectedApps = targets.Keys.Order(StringComparer.Ordinal).ToList(),
            Steps = StepOrder.Steps(targets, actions, extraDependencies),
            Targets = targets.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!),
            Originals = originals,
            StartedAt = now,
            LastProgressAt = now,
            RevertOf = revertOf,
        };
        var ops = new List<StateOp>();
        foreach (var c in conflicting) ops.Add(StateOp.Delete(Schema.Deployments, c.Id));
        ops.Add(StateOp.Put(Schema.Deployments, record.Id, record));
        ops.AddRange(ApplyStep(s, record, 1));
        return new Planned(record, ops, conflicting);
    }

    /// <summary>Writes the target definitions of the apps in step <paramref name="step"/> (1-based).</summary>
    public static IEnumerable<StateOp> ApplyStep(StateSnapshot s, DeploymentRecord d, int step)
    {
        foreach (var action in d.Steps[step - 1].Actions)
        {
            var ops = d.Targets.TryGetValue(action.App, out var target) ? AppWrites.Put(s, target) : AppWrites.Delete(s, action.App);
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
        var targets = new Dictionary<string, AppDefinition?>();
        var actions = new Dictionary<string, string>();
        foreach (var id in d.AffectedApps)
        {
            if (d.Originals.TryGetValue(id, out var original))
            {
                targets[id] = original with { Version = version, VersionInfo = new VersionInfo { LastScalingAt = version, LastConfigChangeAt = version } };
                actions[id] = s.Get(Schema.Apps, id) is null ? DeploymentAction.Start : DeploymentAction.Restart;
            }
            else
            {
                targets[id] = null;
                actions[id] = DeploymentAction.Stop;
            }
        }
        // force: the reverted deployment (if still stored) is replaced by its revert
        var planned = Plan(s, targets, actions, force: true, version, revertOf: d.Id);
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

/// <summary>409: the app is locked by running deployments (Marathon's message and shape).</summary>
public sealed class DeploymentLockedException(IReadOnlyList<string> ids) : ApiException(409,
    $"App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/{ids[0]}'.")
{
    public IReadOnlyList<string> DeploymentIds { get; } = ids;
}

/// <summary>Step order: apps start after the apps they depend on; removals run in reverse dependency order.</summary>
public static class StepOrder
{
    /// <param name="extraDependencies">Dependencies an app inherits from its groups (app ids).</param>
    public static IReadOnlyList<DeploymentStep> Steps(IReadOnlyDictionary<string, AppDefinition?> targets, IReadOnlyDictionary<string, string> actions,
        Func<string, IEnumerable<string>>? extraDependencies = null)
    {
        var depth = new Dictionary<string, int>();
        int Depth(string id, HashSet<string> visiting)
        {
            if (depth.TryGetValue(id, out var d)) return d;
            if (!visiting.Add(id)) return 0; // a cycle: writes that close one are refused (DependencyCycles), but never loop on one stored earlier
            var own = targets.TryGetValue(id, out var t) && t is not null ? t.Dependencies : [];
            var deps = own.Concat(extraDependencies?.Invoke(id) ?? []).Where(x => x != id && targets.ContainsKey(x)).Distinct();
            d = deps.Select(x => Depth(x, visiting) + 1).DefaultIfEmpty(0).Max();
            visiting.Remove(id);
            return depth[id] = d;
        }
        foreach (var id in targets.Keys) Depth(id, []);
        var starts = targets.Where(kv => kv.Value is not null).GroupBy(kv => depth[kv.Key]).OrderBy(g => g.Key);
        var stops = targets.Where(kv => kv.Value is null).GroupBy(kv => depth[kv.Key]).OrderByDescending(g => g.Key);
        var steps = new List<DeploymentStep>();
        foreach (var g in stops.Concat(starts))
        {
            steps.Add(new DeploymentStep
            {
                Actions = g.Select(kv => new DeploymentAction(actions.TryGetValue(kv.Key, out var a) ? a : DeploymentAction.Restart, kv.Key))
                    .OrderBy(a => a.App, StringComparer.Ordinal).ToList(),
            });
        }
        return steps;
    }
}
