using System.Runtime.InteropServices;
using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Core.Validation;
using Drover.Scheduling;
using Drover.Server.Apps;
using Drover.Server.Deployments;
using Drover.Server.Http;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Groups;

/// <summary>
/// /v2/groups writes: a group update (apps and nested groups, replacing what the group had where
/// given), scaleBy, and removal — each one deployment whose steps follow the dependencies.
/// </summary>
public sealed class GroupService(StateWriter writer, AppService apps, AppValidation validation, DeploymentService deployments)
{
    public sealed record Result(DeploymentService.Planned? Planned, IReadOnlyList<DeploymentStep> Steps, string Version);

    public async Task<Result> UpdateAsync(string groupId, JsonElement body, bool create, bool force, bool dryRun, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ValidationException(Single("/", $"expected a group object, got {JsonFields.Describe(body)}"));
        var (_, result) = await writer.UpdateGroupedAsync<Result>((s, fx) =>
        {
            if (create && GroupExists(s, groupId))
                throw ApiException.Conflict($"Group {groupId} is already created. Use PUT to change this group.");
            var f = new JsonFields(body, "", new ValidationErrors());
            var desired = new Dictionary<string, AppDefinition?>();
            var groups = new List<GroupRecord>();
            var version = apps.NextVersion(s.All(Schema.Apps));
            if (f.Has("scaleBy") && !f.Has("apps") && !f.Has("groups"))
            {
                var factor = f.Number("scaleBy", 1);
                if (f.Errors.Any) throw new ValidationException(f.Errors);
                if (factor < 0) throw new ValidationException(Single("/scaleBy", "must be greater than or equal to 0"));
                foreach (var a in AppsUnder(s, groupId)) desired[a.Id] = a with { Instances = (int)Math.Ceiling(a.Instances * factor) };
            }
            else if (f.Has("version") && !f.Has("apps") && !f.Has("groups"))
            {
                throw new ValidationException(Single("/version", "rolling a whole group back to a version is not supported yet; roll back its apps with PUT /v2/apps/{id} {\"version\": …}"));
            }
            else
            {
                validation.CheckGroupId(groupId, "/id", f.Errors);
                ReadGroup(s, f, groupId, desired, groups, version);
                if (f.Errors.Any) throw new ValidationException(f.Errors);
                DependencyCycles.ThrowIfCyclic(s, desired, groups, "/");
            }
            return Started(fx, Plan(s, desired, groups, version, force, dryRun));
        }, ct);
        return result;
    }

    public async Task<Result> DeleteAsync(string groupId, bool force, CancellationToken ct)
    {
        var (_, result) = await writer.UpdateGroupedAsync<Result>((s, fx) =>
        {
            if (!GroupExists(s, groupId)) throw ApiException.NotFound($"Group '{groupId}' does not exist");
            var desired = AppsUnder(s, groupId).ToDictionary(a => a.Id, _ => (AppDefinition?)null);
            var version = apps.NextVersion(s.All(Schema.Apps));
            var r = Plan(s, desired, [], version, force, dryRun: false);
            var ops = r.Ops.ToList();
            foreach (var g in s.All(Schema.Groups).Where(g => PathId.IsUnder(g.Id, groupId))) ops.Add(StateOp.Delete(Schema.Groups, g.Id));
            return Started(fx, ((IReadOnlyList<StateOp>)ops, r.Result));
        }, ct);
        return result;
    }

    /// <summary>The events of the deployment a group change plans go into its write.</summary>
    private (IReadOnlyList<StateOp> Ops, Result Result) Started(WriteEffects fx, (IReadOnlyList<StateOp> Ops, Result Result) planned)
    {
        if (planned.Result.Planned is not null) deployments.Started(fx, planned.Result.Planned);
        return planned;
    }

    private (IReadOnlyList<StateOp> Ops, Result Result) Plan(StateSnapshot s, Dictionary<string, AppDefinition?> desired, List<GroupRecord> groups,
        string version, bool force, bool dryRun)
    {
        var targets = new Dictionary<string, AppDefinition?>();
        var actions = new Dictionary<string, string>();
        var reserved = new HashSet<int>();
        foreach (var (id, app) in desired.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var previous = s.Get(Schema.Apps, id);
            if (app is null)
            {
                if (previous is null) continue;
                targets[id] = null;
                actions[id] = DeploymentAction.Stop;
                continue;
            }
            var scaleOnly = previous is not null && AppService.SameConfig(previous, app);
            if (scaleOnly && previous!.Instances == app.Instances) continue; // unchanged: not part of the deployment
            targets[id] = apps.Stamp(s, app, previous, scaleOnly, version, reserved);
            BodyLimits.CheckStored(targets[id]!);
            actions[id] = previous is null ? DeploymentAction.Start : scaleOnly ? DeploymentAction.Scale : DeploymentAction.Restart;
        }
        var groupOps = groups.Select(g => StateOp.Put(Schema.Groups, g.Id, g)).ToList();
        IEnumerable<string> Inherited(string appId) => InheritedDependencies(s, groups, targets, appId);
        if (targets.Count == 0)
            return (dryRun ? [] : groupOps, new Result(null, [], version));
        if (dryRun)
            return ([], new Result(null, StepOrder.Steps(targets, actions, Inherited), version));
        var planned = deployments.Plan(s, targets, actions, force, version, extraDependencies: Inherited);
        return ([.. planned.Ops, .. groupOps], new Result(planned, planned.Record.Steps, version));
    }

    /// <summary>An app depends on every app under the groups its own groups depend on, and on groups named in its own dependencies.</summary>
    private static IEnumerable<string> InheritedDependencies(StateSnapshot s, List<GroupRecord> pending, Dictionary<string, AppDefinition?> targets, string appId)
    {
        var records = s.All(Schema.Groups).ToDictionary(g => g.Id);
        foreach (var g in pending) records[g.Id] = g;
        var deps = new List<string>();
        if (targets.TryGetValue(appId, out var app) && app is not null) deps.AddRange(app.Dependencies);
        for (var g = PathId.Parent(appId); ; g = PathId.Parent(g))
        {
            if (records.TryGetValue(g, out var rec)) deps.AddRange(rec.Dependencies);
            if (g == "/") break;
        }
        foreach (var d in deps)
        {
            if (targets.ContainsKey(d)) yield return d;
            else foreach (var id in targets.Keys.Where(t => PathId.IsUnder(t, d) && t != d)) yield return id;
        }
    }

    private void ReadGroup(StateSnapshot s, JsonFields f, string groupId, Dictionary<string, AppDefinition?> desired, List<GroupRecord> groups, string version)
    {
        var deps = (f.StringList("dependencies") ?? []).Select(d => PathId.Canonical(d, PathId.Parent(groupId))).ToList();
        groups.Add(new GroupRecord { Id = groupId, Dependencies = deps, Version = version });
        if (f.TryGet("apps", out var appsJson) && appsJson.ValueKind != JsonValueKind.Null)
        {
            var listed = new HashSet<string>();
            var i = 0;
            foreach (var a in f.Objects("apps"))
            {
                // the group body may be up to 16 MiB, but each of its apps is held to Marathon's 1 MiB
                var size = JsonMarshal.GetRawUtf8Value(a.Element).Length;
                if (size > BodyLimits.App.Bytes) throw BodyLimits.App.TooLarge(size, $"at {a.Path}");
                var errors = new ValidationErrors();
                var app = validation.Read(a.Element, null, errors, groupId);
                foreach (var (path, errs) in errors.Items) foreach (var e in errs) f.Errors.Add($"{a.Path}{(path == "/" ? "" : path)}", e);
                if (app is not null && PathId.Parent(app.Id) != groupId)
                    f.Errors.Add($"{a.Path}/id", $"app {app.Id} is not directly in group {groupId}");
                if (app is not null && !errors.Any)
                {
                    if (!listed.Add(app.Id)) f.Errors.Add($"{a.Path}/id", $"app {app.Id} is listed twice");
                    desired[app.Id] = app;
                }
                i++;
            }
            foreach (var existing in s.All(Schema.Apps).Where(x => PathId.Parent(x.Id) == groupId && !listed.Contains(x.Id)))
                desired[existing.Id] = null;
        }
        if (f.TryGet("groups", out var groupsJson) && groupsJson.ValueKind != JsonValueKind.Null)
        {
            var listed = new HashSet<string>();
            foreach (var g in f.Objects("groups"))
            {
                var rawId = g.String("id");
                if (string.IsNullOrWhiteSpace(rawId)) { g.Errors.Add(g.Child("id"), "is required"); continue; }
                var childId = PathId.Canonical(rawId, groupId);
                if (PathId.Parent(childId) != groupId) { g.Errors.Add(g.Child("id"), $"group {childId} is not directly in group {groupId}"); continue; }
                validation.CheckGroupId(childId, g.Child("id"), g.Errors);
                listed.Add(childId);
                ReadGroup(s, g, childId, desired, groups, version);
            }
            foreach (var sub in ChildGroups(s, groupId).Where(c => !listed.Contains(c)))
                foreach (var a in AppsUnder(s, sub)) desired[a.Id] = null;
        }
    }

    public static bool GroupExists(StateSnapshot s, string groupId) =>
        groupId == "/" || s.Get(Schema.Groups, groupId) is not null || s.All(Schema.Apps).Any(a => PathId.IsUnder(a.Id, groupId) && a.Id != groupId);

    public static IEnumerable<AppDefinition> AppsUnder(StateSnapshot s, string groupId) =>
        s.All(Schema.Apps).Where(a => PathId.IsUnder(a.Id, groupId) && a.Id != groupId);

    public static IEnumerable<string> ChildGroups(StateSnapshot s, string groupId)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var g in s.All(Schema.Groups)) if (g.Id != "/" && PathId.Parent(g.Id) == groupId) set.Add(g.Id);
        foreach (var a in AppsUnder(s, groupId))
        {
            // the first path element below the group
            var rest = a.Id[(groupId == "/" ? 1 : groupId.Length + 1)..];
            var slash = rest.IndexOf('/');
            if (slash > 0) set.Add((groupId == "/" ? "/" : groupId + "/") + rest[..slash]);
        }
        return set;
    }

    private static ValidationErrors Single(string path, string error)
    {
        var e = new ValidationErrors();
        e.Add(path, error);
        return e;
    }
}
