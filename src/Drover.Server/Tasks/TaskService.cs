using System.Text;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.Apps;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Http;
using Drover.Server.Storage;

namespace Drover.Server.Tasks;

/// <summary>Task listing and kills (/v2/apps/{id}/tasks, /v2/tasks). A kill marks the task; its agent does the killing.</summary>
public sealed class TaskService(StateWriter writer, AppService apps, LoadBalancing.LbRegistry lbs, TimeProvider time) : IAppTaskRoutes
{
    public IResult ListForApp(HttpContext ctx, string appId)
    {
        var s = writer.Current;
        var app = s.Get(Schema.Apps, appId) ?? throw ApiException.NotFound($"App '{appId}' does not exist");
        var views = new AppViews(s);
        var tasks = views.TasksOf(appId).Select(t => views.Task(t, app)).ToList();
        if (WantsText(ctx)) return Results.Text(PlainText(tasks, s), "text/plain");
        return Responses.Json(new TasksResponse(tasks), ApiJsonContext.Default.TasksResponse);
    }

    public IResult ListAll(HttpContext ctx)
    {
        var s = writer.Current;
        var views = new AppViews(s);
        var statuses = ctx.Request.Multi("status").Concat(ctx.Request.Multi("status[]")).Select(x => x.ToLowerInvariant()).ToHashSet();
        var tasks = new List<MarathonTask>();
        foreach (var t in s.All(Schema.Tasks))
        {
            if (statuses.Count > 0 && !statuses.Contains(t.State.ToWire()[5..].ToLowerInvariant())) continue;
            tasks.Add(views.Task(t));
        }
        if (WantsText(ctx)) return Results.Text(PlainText(tasks, s), "text/plain");
        return Responses.Json(new TasksResponse(tasks), ApiJsonContext.Default.TasksResponse);
    }

    public async Task<IResult> KillForAppAsync(HttpContext ctx, string appId, CancellationToken ct)
    {
        var s = writer.Current;
        if (s.Get(Schema.Apps, appId) is null) throw ApiException.NotFound($"App '{appId}' does not exist");
        CheckScaleWipe(ctx);
        var host = ctx.Request.Query["host"].ToString();
        var ids = TaskIndex.OfApp(s, appId)
            .Where(t => host.Length == 0 || host == "*" || t.Host == host)
            .Select(t => t.Id).ToList();
        return await KillAsync(ctx, ids, ct, single: false);
    }

    public async Task<IResult> KillOneAsync(HttpContext ctx, string appId, string taskId, CancellationToken ct)
    {
        var s = writer.Current;
        if (s.Get(Schema.Apps, appId) is null) throw ApiException.NotFound($"App '{appId}' does not exist");
        CheckScaleWipe(ctx);
        var task = s.Get(Schema.Tasks, taskId);
        if (task is null || task.AppId != appId) throw ApiException.NotFound($"Task '{taskId}' does not exist");
        return await KillAsync(ctx, [taskId], ct, single: true);
    }

    /// <summary>POST /v2/tasks/delete {"ids":[...]}: unknown-but-valid ids are ignored, malformed ones are a 400.</summary>
    public async Task<IResult> DeleteManyAsync(HttpContext ctx, CancellationToken ct)
    {
        CheckScaleWipe(ctx);
        var body = await ctx.Request.ReadJsonAsync(ct);
        TaskIds? ids;
        try { ids = body.Deserialize(ApiJsonContext.Default.TaskIds); }
        catch (JsonException ex) { throw new ApiException(400, "Invalid JSON", [new ErrorDetail("/ids", [ex.Message])]); }
        if (ids?.Ids is null) throw new ApiException(400, "Invalid JSON", [new ErrorDetail("/ids", ["is required: an array of task ids"])]);
        foreach (var id in ids.Ids)
        {
            if (string.IsNullOrWhiteSpace(id) || PathId.AppIdFromTaskId(id) is null)
                throw ApiException.BadRequest($"Invalid task id '{id}'. A task id looks like <appId>.instance-<uuid>._app.1");
        }
        return await KillAsync(ctx, ids.Ids, ct, single: false);
    }

    private async Task<IResult> KillAsync(HttpContext ctx, IReadOnlyList<string> taskIds, CancellationToken ct, bool single)
    {
        var scale = ctx.Request.Flag("scale");
        var (snap, killed) = await writer.UpdateAsync(s =>
        {
            var ops = new List<StateOp>();
            var found = new List<TaskRecord>();
            foreach (var id in taskIds.Distinct())
            {
                if (s.Get(Schema.Tasks, id) is not { } t) continue;
                found.Add(t);
                // a load-balanced task leaves the lbs first; its agent gets the kill once they have drained it
                if (!t.KillRequested) ops.Add(StateOp.Put(Schema.Tasks, id, LoadBalancing.LbKills.MarkForKill(s, t, lbs, time.GetUtcNow())));
            }
            return ((IReadOnlyList<StateOp>)ops, found);
        }, ct);
        if (scale)
        {
            AppService.Change? last = null;
            foreach (var group in killed.GroupBy(t => t.AppId))
            {
                var app = writer.Current.Get(Schema.Apps, group.Key);
                if (app is null) continue;
                last = await apps.ScaleAsync(group.Key, Math.Max(0, app.Instances - group.Count()), ctx.Request.Flag("force"), ct);
            }
            var version = last?.App.Version ?? Core.Json.MarathonTime.ToWire(DateTimeOffset.UtcNow);
            return Responses.Deployment(ctx, last?.DeploymentId ?? Guid.NewGuid().ToString("D"), version);
        }
        var views = new AppViews(snap);
        var wire = killed.Select(t => views.Task(t)).ToList();
        return single
            ? Responses.Json(new TaskResponse(wire[0]), ApiJsonContext.Default.TaskResponse)
            : Responses.Json(new TasksResponse(wire), ApiJsonContext.Default.TasksResponse);
    }

    private static void CheckScaleWipe(HttpContext ctx)
    {
        if (ctx.Request.Flag("scale") && ctx.Request.Flag("wipe"))
            throw ApiException.BadRequest("You cannot use scale and wipe at the same time.");
    }

    private static bool WantsText(HttpContext ctx)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        return accept.Contains("text/plain", StringComparison.OrdinalIgnoreCase) && !accept.Contains("application/json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Marathon's text/plain task list: one line per app and service port with host:port of every task.</summary>
    private static string PlainText(IReadOnlyList<MarathonTask> tasks, StateSnapshot s)
    {
        var sb = new StringBuilder();
        foreach (var byApp in tasks.GroupBy(t => t.AppId))
        {
            var app = s.Get(Schema.Apps, byApp.Key);
            var servicePorts = app?.PortDefinitions.Select(p => p.Port).ToList() ?? [];
            for (var i = 0; i < servicePorts.Count; i++)
            {
                sb.Append(PathId.Safe(byApp.Key)).Append('\t').Append(servicePorts[i]);
                foreach (var t in byApp)
                {
                    if (i < t.Ports.Count) sb.Append('\t').Append(t.Host).Append(':').Append(t.Ports[i]);
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
