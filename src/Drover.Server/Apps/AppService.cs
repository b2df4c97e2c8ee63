using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Core.Validation;
using Drover.Server.Deployments;
using Drover.Server.Http;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Apps;

/// <summary>The write side of /v2/apps: validation, versions, service ports. Task changes follow from the reconciler.</summary>
public sealed class AppService(StateWriter writer, TimeProvider time, ServerOptions options, AppValidation validation, DeploymentService deployments,
    Events.TaskEvents taskEvents)
{
    public const int MaxStoredVersions = AppWrites.MaxStoredVersions;

    public sealed record Change(AppDefinition App, string DeploymentId, bool Created)
    {
        internal DeploymentService.Planned? Planned { get; init; }
    }

    /// <summary>Who posted an app change, for api_post_event (Marathon sends it for POST/PUT/PATCH of an app).</summary>
    public sealed record ApiPost(string ClientIp, string Uri);

    private async Task<Change> WriteAsync(Func<StateSnapshot, (IReadOnlyList<StateOp>, Change)> decide, CancellationToken ct, ApiPost? post = null)
    {
        var (_, change) = await writer.UpdateGroupedAsync<Change>((s, fx) =>
        {
            var (ops, change) = decide(s);
            if (change.Planned is not null) deployments.Started(fx, change.Planned);
            if (post is not null) taskEvents.ApiPost(fx, post.ClientIp, post.Uri, change.App);
            return (ops, change);
        }, ct);
        return change;
    }

    public async Task<Change> CreateAsync(JsonElement body, bool force, CancellationToken ct, ApiPost? post = null)
    {
        var errors = new ValidationErrors();
        var app = validation.Read(body, null, errors);
        if (errors.Any || app is null) throw new ValidationException(errors);
        return await WriteAsync(s =>
        {
            if (s.Get(Schema.Apps, app.Id) is not null)
                throw ApiException.Conflict($"An app with id [{app.Id}] already exists.");
            return Save(s, app, previous: null, scaleOnly: false, force);
        }, ct, post);
    }

    /// <summary>PUT /v2/apps/{id}: create, update (merged when partialUpdate), scale-only or roll back to a stored version.</summary>
    public async Task<Change> PutAsync(string id, JsonElement body, bool partialUpdate, bool force, CancellationToken ct, ApiPost? post = null)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ValidationException(Single("/", $"expected an app object, got {JsonFields.Describe(body)}"));
        return await WriteAsync(s =>
        {
            var existing = s.Get(Schema.Apps, id);
            if (existing is not null && IsVersionOnly(body, out var target))
            {
                var old = s.Get(Schema.AppVersions, Schema.VersionKey(id, target))
                    ?? throw ApiException.NotFound($"App '{id}' does not exist in version {target}");
                return Save(s, old with { Version = null, VersionInfo = existing.VersionInfo }, existing, scaleOnly: false, force);
            }
            var merged = existing is not null && partialUpdate ? Merge(existing, body) : body;
            var errors = new ValidationErrors();
            var app = validation.Read(merged, id, errors);
            if (errors.Any || app is null) throw new ValidationException(errors);
            var scaleOnly = existing is not null && SameConfig(existing, app);
            return Save(s, app, existing, scaleOnly, force);
        }, ct, post);
    }

    public async Task<Change> ScaleAsync(string id, int instances, bool force, CancellationToken ct)
    {
        if (instances < 0) throw new ValidationException(Single("/instances", "must be greater than or equal to 0"));
        return await WriteAsync(s =>
        {
            var existing = s.Get(Schema.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            return Save(s, existing with { Instances = instances }, existing, scaleOnly: true, force);
        }, ct);
    }

    /// <summary>A restart is a new version with the same config; the reconciler replaces every task (rolling).</summary>
    public async Task<Change> RestartAsync(string id, bool force, CancellationToken ct)
    {
        return await WriteAsync(s =>
        {
            var existing = s.Get(Schema.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            return Save(s, existing, existing, scaleOnly: false, force);
        }, ct);
    }

    public async Task<Change> DeleteAsync(string id, bool force, CancellationToken ct)
    {
        return await WriteAsync(s =>
        {
            var existing = s.Get(Schema.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
            var version = NextVersion(existing.Version);
            var planned = deployments.Plan(s, new Dictionary<string, AppDefinition?> { [id] = null },
                new Dictionary<string, string> { [id] = DeploymentAction.Stop }, force, version);
            return (planned.Ops, new Change(existing, planned.Record.Id, false) { Planned = planned });
        }, ct);
    }

    private (IReadOnlyList<StateOp>, Change) Save(StateSnapshot s, AppDefinition app, AppDefinition? previous, bool scaleOnly, bool force)
    {
        var version = NextVersion(previous?.Version);
        app = Stamp(s, app, previous, scaleOnly, version, reserved: null);
        BodyLimits.CheckStored(app);
        // only new dependencies (or a new app) can close a cycle; a scale or restart keeps the graph as it is
        if (previous is null || !previous.Dependencies.SequenceEqual(app.Dependencies))
            DependencyCycles.ThrowIfCyclic(s, new Dictionary<string, AppDefinition?> { [app.Id] = app }, [], "/dependencies");
        var action = previous is null ? DeploymentAction.Start : scaleOnly ? DeploymentAction.Scale : DeploymentAction.Restart;
        var planned = deployments.Plan(s, new Dictionary<string, AppDefinition?> { [app.Id] = app },
            new Dictionary<string, string> { [app.Id] = action }, force, version);
        return (planned.Ops, new Change(app, planned.Record.Id, previous is null) { Planned = planned });
    }

    private string NextVersion(string? previous) => VersionStamps.Next(time.GetUtcNow(), [previous]);

    /// <summary>Gives an app its new version, version info and service ports (avoiding <paramref name="reserved"/>, ports already handed out in the same change).</summary>
    public AppDefinition Stamp(StateSnapshot s, AppDefinition app, AppDefinition? previous, bool scaleOnly, string version, HashSet<int>? reserved)
    {
        app = AssignServicePorts(s, app, previous, reserved);
        if (reserved is not null) foreach (var p in app.PortDefinitions) reserved.Add(p.Port);
        return app with
        {
            Version = version,
            VersionInfo = new VersionInfo
            {
                LastScalingAt = version,
                LastConfigChangeAt = scaleOnly && previous?.VersionInfo is { } vi ? vi.LastConfigChangeAt : version,
            },
        };
    }

    /// <summary>A version later than every version the given apps have, and not in the past.</summary>
    public string NextVersion(IEnumerable<AppDefinition> apps) =>
        NextVersion(apps.Select(a => a.Version).Where(v => v is not null).Max(StringComparer.Ordinal));

    private AppDefinition AssignServicePorts(StateSnapshot s, AppDefinition app, AppDefinition? previous, HashSet<int>? reserved)
    {
        if (app.PortDefinitions.All(p => p.Port != 0)) return app;
        var used = new HashSet<int>(reserved ?? []);
        foreach (var other in s.All(Schema.Apps))
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

}
