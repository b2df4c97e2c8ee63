using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Validation;
using Drover.Server.Apps;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Groups;

/// <summary>Marathon's /v2/groups: the group tree with apps, and group-wide writes as one deployment.</summary>
public static class GroupEndpoints
{
    public static void MapGroupEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapMethods("/v2/groups", ["GET", "POST", "PUT", "PATCH", "DELETE"], (HttpContext ctx, StateWriter w, GroupService g, CancellationToken ct) => DispatchAsync(ctx, "", w, g, ct));
        r.MapMethods("/v2/groups/{**path}", ["GET", "POST", "PUT", "PATCH", "DELETE"], (HttpContext ctx, string path, StateWriter w, GroupService g, CancellationToken ct) => DispatchAsync(ctx, path, w, g, ct));
    }

    private static async Task<IResult> DispatchAsync(HttpContext ctx, string path, StateWriter writer, GroupService groups, CancellationToken ct)
    {
        var segs = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = ctx.Request.Method;
        if (segs.Length >= 1 && segs[^1] == "versions" && method == "GET")
        {
            var gid = PathId.Canonical(string.Join('/', segs[..^1]));
            if (!GroupService.GroupExists(writer.Current, gid)) throw ApiException.NotFound($"Group '{gid}' does not exist");
            return Responses.Json([Render(writer.Current, gid, Responses.Embeds(ctx.Request)).Version ?? ""], ApiJsonContext.Default.ListString);
        }
        if (segs.Length >= 2 && segs[^2] == "versions" && method == "PUT")
            throw new ApiException(422, "rolling a whole group back to a version is not supported yet; roll back its apps with PUT /v2/apps/{id} {\"version\": …}");
        var id = PathId.Canonical(string.Join('/', segs));
        foreach (var bad in PathId.InvalidSegments(id)) throw ApiException.BadRequest($"invalid group id {id}: segment '{bad}'");
        var force = ctx.Request.Flag("force");
        switch (method)
        {
            case "GET":
                if (!GroupService.GroupExists(writer.Current, id)) throw ApiException.NotFound($"Group '{id}' does not exist");
                return Responses.Json(Render(writer.Current, id, Responses.Embeds(ctx.Request)), ApiJsonContext.Default.GroupInfo);
            case "POST":
            {
                var body = await ctx.Request.ReadJsonAsync(ct);
                var childId = body.ValueKind == System.Text.Json.JsonValueKind.Object && body.TryGetProperty("id", out var idProp) && idProp.ValueKind == System.Text.Json.JsonValueKind.String
                    ? PathId.Canonical(idProp.GetString()!, id)
                    : throw new Core.Validation.ValidationException(Single("/id", "is required when creating a group"));
                var result = await groups.UpdateAsync(childId, body, create: true, force, dryRun: false, ct);
                WarningHeaders.AddUnknownFields(ctx.Response, GroupFieldSchema.FindUnknown(body));
                return Written(ctx, result, 201);
            }
            case "PUT":
            case "PATCH":
            {
                var body = await ctx.Request.ReadJsonAsync(ct);
                var dryRun = ctx.Request.Flag("dryRun");
                var result = await groups.UpdateAsync(id, body, create: false, force, dryRun, ct);
                WarningHeaders.AddUnknownFields(ctx.Response, GroupFieldSchema.FindUnknown(body));
                if (dryRun)
                    return Responses.Json(new GroupDryRun(result.Steps.Select(s => new DeploymentStepWire(s.Actions.Select(a => new DeploymentActionWire(a.Action, a.App)).ToList())).ToList()),
                        ApiJsonContext.Default.GroupDryRun);
                return Written(ctx, result, 200);
            }
            case "DELETE":
                return Written(ctx, await groups.DeleteAsync(id, force, ct), 200);
            default:
                throw new ApiException(405, $"Method {method} is not allowed here");
        }
    }

    private static IResult Written(HttpContext ctx, GroupService.Result result, int status) =>
        // a change that changes no app still answers with a (finished) deployment id, as Marathon does
        Responses.Deployment(ctx, result.Planned?.Record.Id ?? Guid.NewGuid().ToString("D"), result.Version, status);

    public static GroupInfo Render(StateSnapshot s, string groupId, HashSet<string> embeds)
    {
        var views = new AppViews(s);
        var withTasks = embeds.Contains("tasks");
        var withFailure = embeds.Contains("lastTaskFailure");
        GroupInfo Build(string id)
        {
            var apps = s.All(Schema.Apps).Where(a => PathId.Parent(a.Id) == id).Select(a => views.Info(a, withTasks, withFailure)).ToList();
            var children = GroupService.ChildGroups(s, id).Select(Build).ToList();
            var record = s.Get(Schema.Groups, id);
            var version = apps.Select(a => a.Version).Concat(children.Select(c => c.Version)).Append(record?.Version)
                .Where(v => v is not null).Max(StringComparer.Ordinal);
            return new GroupInfo
            {
                Id = id,
                Apps = apps,
                Groups = children,
                Dependencies = record?.Dependencies ?? [],
                Version = version ?? Core.Json.MarathonTime.ToWire(DateTimeOffset.UnixEpoch),
            };
        }
        return Build(groupId);
    }

    private static Core.Validation.ValidationErrors Single(string path, string error)
    {
        var e = new Core.Validation.ValidationErrors();
        e.Add(path, error);
        return e;
    }
}
