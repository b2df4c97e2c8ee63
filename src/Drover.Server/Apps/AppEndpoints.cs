using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Validation;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Apps;

/// <summary>Marathon's /v2/apps routes. App ids contain '/', so the tail is parsed here: suffix routes win.</summary>
public static class AppEndpoints
{
    public static void MapAppEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/apps", ListApps);
        r.MapPost("/v2/apps", CreateApp);
        r.MapMethods("/v2/apps/{**path}", ["GET", "PUT", "PATCH", "DELETE", "POST"], Dispatch);
    }

    private static IResult ListApps(HttpContext ctx, StateWriter writer, SnapshotResponseCache cache)
    {
        var snapshot = writer.Current;
        var body = cache.GetOrRender(snapshot.Index, "apps?" + ctx.Request.QueryString.Value, () => RenderApps(ctx.Request, snapshot));
        return Results.Bytes(body, "application/json");
    }

    private static byte[] RenderApps(HttpRequest request, StateSnapshot snapshot)
    {
        var views = new AppViews(snapshot);
        var embeds = Responses.Embeds(request);
        var withTasks = embeds.Contains("tasks") || embeds.Contains("failures");
        var withFailure = embeds.Contains("lastTaskFailure") || embeds.Contains("failures");
        var idFilter = request.Query["id"].ToString();
        var cmdFilter = request.Query["cmd"].ToString();
        var labelFilter = request.Query["label"].ToString();
        var selector = labelFilter.Length > 0 ? LabelSelector.Parse(labelFilter) : null;
        var apps = new List<AppInfo>();
        foreach (var app in views.Snapshot.All(Schema.Apps))
        {
            if (idFilter.Length > 0 && !app.Id.Contains(idFilter, StringComparison.OrdinalIgnoreCase)) continue;
            if (cmdFilter.Length > 0 && (app.Cmd is null || !app.Cmd.Contains(cmdFilter, StringComparison.OrdinalIgnoreCase))) continue;
            if (selector is not null && !selector.Matches(app.Labels)) continue;
            apps.Add(views.Info(app, withTasks, withFailure));
        }
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new AppsResponse(apps), ApiJsonContext.Default.AppsResponse);
    }

    private static AppService.ApiPost Post(HttpContext ctx) => new(ctx.Connection.RemoteIpAddress?.ToString() ?? "", ctx.Request.Path);

    private static async Task<IResult> CreateApp(HttpContext ctx, AppService apps, Events.TaskEvents events, CancellationToken ct)
    {
        var body = await ctx.Request.ReadJsonAsync(BodyLimits.App, ct);
        var change = await apps.CreateAsync(body, ctx.Request.Flag("force"), ct, Post(ctx));
        WarningHeaders.AddUnknownFields(ctx.Response, AppFieldSchema.FindUnknown(body));
        ctx.Response.Headers.Location = change.App.Id;
        ctx.Response.Headers["Marathon-Deployment-Id"] = change.DeploymentId;
        var info = new AppInfo(change.App) { Tasks = [], Deployments = [new DeploymentRef(change.DeploymentId)] };
        return Responses.Json(info, ApiJsonContext.Default.AppInfo, 201);
    }

    private static async Task<IResult> Dispatch(HttpContext ctx, string path, AppService apps, IAppTaskRoutes tasks, StateWriter writer, Events.TaskEvents events, CancellationToken ct)
    {
        var method = ctx.Request.Method;
        var segs = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segs.Length == 0) throw ApiException.NotFound("App '/' does not exist");

        if (method == "POST" && segs[^1] == "restart" && segs.Length > 1)
        {
            var change = await apps.RestartAsync(Id(segs[..^1]), ctx.Request.Flag("force"), ct);
            return Responses.Deployment(ctx, change.DeploymentId, change.App.Version!);
        }
        if (segs.Length > 1 && segs[^1] == "tasks")
        {
            var appId = Id(segs[..^1]);
            return method switch
            {
                "GET" => tasks.ListForApp(ctx, appId),
                "DELETE" => await tasks.KillForAppAsync(ctx, appId, ct),
                _ => MethodNotAllowed(method),
            };
        }
        if (segs.Length > 2 && segs[^2] == "tasks" && method == "DELETE")
            return await tasks.KillOneAsync(ctx, Id(segs[..^2]), segs[^1], ct);
        if (segs.Length > 1 && segs[^1] == "versions" && method == "GET")
            return Versions(writer.Current, Id(segs[..^1]));
        if (segs.Length > 2 && segs[^2] == "versions" && method == "GET")
            return Version(writer.Current, Id(segs[..^2]), Uri.UnescapeDataString(segs[^1]));

        var id = Id(segs);
        switch (method)
        {
            case "GET":
                return GetApp(ctx, writer.Current, segs);
            case "PUT":
            case "PATCH":
            {
                var body = await ctx.Request.ReadJsonAsync(BodyLimits.App, ct);
                if (method == "PATCH" && writer.Current.Get(Schema.Apps, id) is null)
                    throw ApiException.NotFound($"App '{id}' does not exist");
                var partial = method == "PATCH" || ctx.Request.Flag("partialUpdate", defaultValue: true);
                var change = await apps.PutAsync(id, body, partial, ctx.Request.Flag("force"), ct, Post(ctx));
                WarningHeaders.AddUnknownFields(ctx.Response, AppFieldSchema.FindUnknown(body));
                return Responses.Deployment(ctx, change.DeploymentId, change.App.Version!, change.Created ? 201 : 200);
            }
            case "DELETE":
            {
                var change = await apps.DeleteAsync(id, ctx.Request.Flag("force", defaultValue: true), ct);
                return Responses.Deployment(ctx, change.DeploymentId, change.Planned?.Record.Version ?? change.App.Version!);
            }
            default:
                return MethodNotAllowed(method);
        }
    }

    private static IResult GetApp(HttpContext ctx, StateSnapshot s, string[] segs)
    {
        var views = new AppViews(s);
        if (segs[^1] == "*")
        {
            var group = Id(segs[..^1]);
            var inGroup = s.All(Schema.Apps).Where(a => PathId.IsUnder(a.Id, group)).Select(a => views.Info(a, true, true)).ToList();
            return Results.Json(new Dictionary<string, List<AppInfo>> { ["*"] = inGroup }, ApiJsonContext.Default.DictionaryStringListAppInfo);
        }
        var id = Id(segs);
        var app = s.Get(Schema.Apps, id) ?? throw ApiException.NotFound($"App '{id}' does not exist");
        return Responses.Json(new AppResponse(views.Info(app, withTasks: true, withFailure: true)), ApiJsonContext.Default.AppResponse);
    }

    private static IResult Versions(StateSnapshot s, string id)
    {
        if (s.Get(Schema.Apps, id) is null) throw ApiException.NotFound($"App '{id}' does not exist");
        var versions = s.WithPrefix(Schema.AppVersions.Name, id + "@").Select(e => e.Key[(id.Length + 1)..]).Reverse().ToList();
        return Responses.Json(new VersionsResponse(versions), ApiJsonContext.Default.VersionsResponse);
    }

    private static IResult Version(StateSnapshot s, string id, string version)
    {
        if (Core.Json.MarathonTime.TryParse(version, out var t)) version = Core.Json.MarathonTime.ToWire(t);
        var app = s.Get(Schema.AppVersions, Schema.VersionKey(id, version))
            ?? throw ApiException.NotFound($"App '{id}' does not exist in version {version}");
        return Responses.Json(app, ApiJsonContext.Default.AppDefinition);
    }

    private static string Id(string[] segs) => PathId.Canonical(string.Join('/', segs.Select(Uri.UnescapeDataString)));

    private static IResult MethodNotAllowed(string method) =>
        Responses.Json(new MessageResponse { Message = $"Method {method} is not allowed here" }, ApiJsonContext.Default.MessageResponse, 405);
}
