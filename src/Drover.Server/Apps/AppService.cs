using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Core.Validation;
using Drover.Server.Http;
using Drover.State;

namespace Drover.Server.Apps;

/// <summary>The write side of /v2/apps: validation, versions, service ports. Task changes follow from the reconciler.</summary>
public sealed class AppService(StateWriter writer, TimeProvider time, ServerOptions options, AppValidation validation)
{
    public const int MaxStoredVersions = 50;

    public sealed record Change(AppDefinition App, string DeploymentId, bool Created);

    public async Task<Change> CreateAsync(JsonElement body, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var app = AppReader.Read(body, null, errors, validation.CheckConstraint);
        if (errors.Any || app is null) throw new ValidationException(errors);
        var (_, change) = await writer.UpdateAsync(s =>
        {
            if (s.Get(Collections.Apps, app.Id) is not null)
                throw ApiException.Conflict($"An app with id [{app.Id}] already exists.");
            return Save(s, app, previous: null, scaleOnly: false);
        }, ct);
        return change;
    }

    /// <summary>PUT /v2/apps/{id}: create, update (merged when partialUpdate), scale-only or roll back to a stored version.</summary>
    public async Task<Change> PutAsync(string id, JsonElement body, bool partialUpdate, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ValidationException(Single("/", $"expected an app object, got {JsonFields.Describe(body)}"));
        var (_, change) = await writer.UpdateAsync(s =>
        {
            var existing = s.Get(Collections.Apps, id);
            if (existing is not null && IsVersionOnly(body, out var target))
            {
                var old = s.Get(Collections.AppVersions, Collections.VersionKey(id, target))
                    ?? throw ApiException.NotFound($"App '{id}' does not exist in version {target}");
                return Save(s, old with { Version = null, VersionInfo = existing.VersionInfo }, existing, scaleOnly: false);
            }
            var merged = existing is not null && partialUpdate ? Merge(existing, body) : body;
            var errors = new ValidationErrors();
            var app = AppReader.Read(merged, id, errors, validation.CheckConstraint);
            if (errors.Any || app is null) throw new ValidationException(errors);
            var scaleOnly = existing is not null && SameConfig(existing, app);
            return Save(s, app, existing, scaleOnly);
        }, ct);
        return change;
    }

    public async Task<Change> ScaleAsync(string id, int instances, CancellationToken ct)
    {
        if (instances < 0) throw new ValidationException(Single("/instances", "must be greater than or equal to 0"));
        var (_, change) = await writer.UpdateAsync(s =>
        {
            var existing = s.Get(Collections.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            return Save(s, existing with { Instances = instances }, existing, scaleOnly: true);
        }, ct);
        return change;
    }

    /// <summary>A restart is a new version with the same config; the reconciler replaces every task (rolling).</summary>
    public async Task<Change> RestartAsync(string id, CancellationToken ct)
    {
        var (_, change) = await writer.UpdateAsync(s =>
        {
            var existing = s.Get(Collections.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            return Save(s, existing, existing, scaleOnly: false);
        }, ct);
        return change;
    }

    public async Task<Change> DeleteAsync(string id, CancellationToken ct)
    {
        var (_, change) = await writer.UpdateAsync(s =>
        {
            var existing = s.Get(Collections.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            var ops = new List<StateOp> { StateOp.Delete(Collections.Apps, id), StateOp.Delete(ServerCollections.TaskFailures, id) };
            // Versions still used by running tasks are pruned by the reconciler once those tasks are gone.
            var inUse = s.All(Collections.Tasks).Where(t => t.AppId == id).Select(t => t.Version).ToHashSet();
            foreach (var e in s.WithPrefix(Collections.AppVersions.Name, id + "@"))
            {
                if (!inUse.Contains(e.Key[(id.Length + 1)..])) ops.Add(StateOp.Delete(Collections.AppVersions, e.Key));
            }
            return ((IReadOnlyList<StateOp>)ops, new Change(existing, NewDeploymentId(), false));
        }, ct);
        return change;
    }

    private (IReadOnlyList<StateOp>, Change) Save(StateSnapshot s, AppDefinition app, AppDefinition? previous, bool scaleOnly)
    {
        var version = NextVersion(previous?.Version);
        app = AssignServicePorts(s, app, previous);
        app = app with
        {
            Version = version,
            VersionInfo = new VersionInfo
            {
                LastScalingAt = version,
                LastConfigChangeAt = scaleOnly && previous?.VersionInfo is { } vi ? vi.LastConfigChangeAt : version,
            },
        };
        var ops = new List<StateOp>
        {
            StateOp.Put(Collections.Apps, app.Id, app),
            StateOp.Put(Collections.AppVersions, Collections.VersionKey(app.Id, version), app),
        };
        ops.AddRange(PruneVersions(s, app.Id));
        return (ops, new Change(app, NewDeploymentId(), previous is null));
    }

    /// <summary>Versions must rise strictly even when two writes land in the same millisecond.</summary>
    private string NextVersion(string? previous)
    {
        var now = time.GetUtcNow();
        if (previous is not null && MarathonTime.TryParse(previous, out var prev) && now <= prev)
            now = prev.AddMilliseconds(1);
        return MarathonTime.ToWire(now);
    }

    private IEnumerable<StateOp> PruneVersions(StateSnapshot s, string appId)
    {
        var versions = s.WithPrefix(Collections.AppVersions.Name, appId + "@").Select(e => e.Key).ToList();
        var excess = versions.Count + 1 - MaxStoredVersions;
        if (excess <= 0) yield break;
        var inUse = s.All(Collections.Tasks).Where(t => t.AppId == appId).Select(t => Collections.VersionKey(appId, t.Version)).ToHashSet();
        foreach (var key in versions.Where(k => !inUse.Contains(k)).Take(excess)) // keys sort by timestamp: oldest first
            yield return StateOp.Delete(Collections.AppVersions, key);
    }

    private AppDefinition AssignServicePorts(StateSnapshot s, AppDefinition app, AppDefinition? previous)
    {
        if (app.PortDefinitions.All(p => p.Port != 0)) return app;
        var used = new HashSet<int>();
        foreach (var other in s.All(Collections.Apps))
        {
            if (other.Id == app.Id) continue;
            foreach (var p in other.PortDefinitions) used.Add(p.Port);
        }
        foreach (var p in app.PortDefinitions) if (p.Port != 0) used.Add(p.Port);
        var next = options.ServicePortMin;
        var defs = new List<PortDefinition>(app.PortDefinitions.Count);
        for (var i = 0; i < app.PortDefinitions.Count; i++)
        {
            var p = app.PortDefinitions[i];
            if (p.Port == 0)
            {
                // keep the port this app already had at this index, so updates don't move service ports
                var kept = previous is not null && i < previous.PortDefinitions.Count ? previous.PortDefinitions[i].Port : 0;
                if (kept != 0 && !used.Contains(kept)) p = p with { Port = kept };
                else
                {
                    while (next <= options.ServicePortMax && used.Contains(next)) next++;
                    if (next > options.ServicePortMax)
                        throw new ValidationException(Single($"/portDefinitions({i})/port", $"no free service port left in {options.ServicePortMin}-{options.ServicePortMax}"));
                    p = p with { Port = next };
                }
                used.Add(p.Port);
            }
            defs.Add(p);
        }
        return app with { PortDefinitions = defs, Ports = defs.Select(d => d.Port).ToList() };
    }

    /// <summary>True when only instances (and server-set fields) differ.</summary>
    public static bool SameConfig(AppDefinition a, AppDefinition b)
    {
        static string Key(AppDefinition x) => JsonSerializer.Serialize(
            x with { Instances = 0, Version = null, VersionInfo = null, Ports = [], PortDefinitions = x.PortDefinitions.Select(p => p with { Port = 0 }).ToList() },
            CoreJsonContext.Default.AppDefinition);
        return Key(a) == Key(b);
    }

    private static bool IsVersionOnly(JsonElement body, out string version)
    {
        version = "";
        var props = body.EnumerateObject().Where(p => p.Name != "id").ToList();
        if (props.Count != 1 || props[0].Name != "version" || props[0].Value.ValueKind != JsonValueKind.String) return false;
        version = props[0].Value.GetString()!;
        if (MarathonTime.TryParse(version, out var t)) version = MarathonTime.ToWire(t);
        return true;
    }

    private static JsonElement Merge(AppDefinition existing, JsonElement update)
    {
        var baseNode = JsonSerializer.SerializeToNode(existing, CoreJsonContext.Default.AppDefinition)!.AsObject();
        foreach (var p in update.EnumerateObject())
        {
            baseNode[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            // the deprecated mirrors must not fight their replacements
            if (p.Name == "portDefinitions") baseNode.Remove("ports");
            if (p.Name == "ports") baseNode.Remove("portDefinitions");
            if (p.Name == "fetch") baseNode.Remove("uris");
            if (p.Name == "uris") baseNode.Remove("fetch");
            if (p.Name == "cmd" && p.Value.ValueKind != JsonValueKind.Null) baseNode.Remove("args");
            if (p.Name == "args" && p.Value.ValueKind != JsonValueKind.Null) baseNode.Remove("cmd");
        }
        using var doc = JsonDocument.Parse(baseNode.ToJsonString());
        return doc.RootElement.Clone();
    }

    private static ValidationErrors Single(string path, string error)
    {
        var e = new ValidationErrors();
        e.Add(path, error);
        return e;
    }

    private static string NewDeploymentId() => Guid.NewGuid().ToString("D");
}
