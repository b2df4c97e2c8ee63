using System.Text.Json;
using Drover.Api.Consul;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>
/// Runtime tags of app tasks (seed 004: a Redis instance becomes "master" when sentinel promotes it):
/// <c>PUT /v1/drover/tasks/{taskId}/tags</c> with a JSON array of strings replaces the tags the task's app label
/// DROVER_TAGS gives it; <c>DELETE</c> goes back to the label; <c>GET</c> shows the current ones. The override lives
/// as long as the task (collection "task-tags"; removed with the task).
/// </summary>
public static class TaskTagEndpoints
{
    public const int MaxTags = 64;
    public const int MaxTagLength = 255;

    public static void MapTaskTagEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v1/drover/tasks/{taskId}/tags", (string taskId, CatalogService catalog, StateWriter writer) =>
            Render(writer.Current, catalog, taskId));

        r.MapPut("/v1/drover/tasks/{taskId}/tags", async (string taskId, HttpContext ctx, CatalogService catalog, StateWriter writer) =>
        {
            var body = await ctx.Request.ReadJsonAsync(ctx.RequestAborted);
            var tags = ReadTags(body);
            var (snapshot, _) = await writer.UpdateAsync<int>(s =>
            {
                if (s.Entry(Schema.Tasks.Name, taskId) is null) throw ApiException.NotFound($"Task '{taskId}' does not exist");
                return ([StateOp.Put(Schema.TaskTags, taskId, new TaskTags { Tags = tags })], 0);
            }, ctx.RequestAborted);
            return Render(snapshot, catalog, taskId);
        });

        r.MapDelete("/v1/drover/tasks/{taskId}/tags", async (string taskId, HttpContext ctx, CatalogService catalog, StateWriter writer) =>
        {
            var (snapshot, _) = await writer.UpdateAsync<int>(s =>
            {
                if (s.Entry(Schema.Tasks.Name, taskId) is null) throw ApiException.NotFound($"Task '{taskId}' does not exist");
                return s.Entry(Schema.TaskTags.Name, taskId) is null ? ([], 0) : ([StateOp.Delete(Schema.TaskTags, taskId)], 0);
            }, ctx.RequestAborted);
            return Render(snapshot, catalog, taskId);
        });
    }

    private static IReadOnlyList<string> ReadTags(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("tags must be a JSON array of strings, e.g. [\"master\"]");
        var tags = new List<string>();
        foreach (var t in body.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("tags must be a JSON array of strings, e.g. [\"master\"]");
            var tag = t.GetString()!.Trim();
            if (tag.Length == 0 || tag.Length > MaxTagLength) throw ApiException.BadRequest($"a tag must have 1-{MaxTagLength} characters");
            if (!tags.Contains(tag, StringComparer.Ordinal)) tags.Add(tag);
        }
        if (tags.Count > MaxTags) throw ApiException.BadRequest($"at most {MaxTags} tags");
        return tags;
    }

    private static IResult Render(StateSnapshot s, CatalogService catalog, string taskId)
    {
        var task = s.Get(Schema.Tasks, taskId) ?? throw ApiException.NotFound($"Task '{taskId}' does not exist");
        var app = s.Get(Schema.AppVersions, Schema.VersionKey(task.AppId, task.Version)) ?? s.Get(Schema.Apps, task.AppId);
        var labels = app?.Labels ?? Core.Apps.Empty.Strings;
        var overridden = s.Get(Schema.TaskTags, taskId);
        var response = new TaskTagsResponse
        {
            TaskId = taskId,
            Service = DiscoveryLabels.ServiceNameOf(task.AppId, labels),
            Tags = overridden?.Tags ?? DiscoveryLabels.SplitList(labels.GetValueOrDefault(DiscoveryLabels.Tags)),
            Overridden = overridden is not null,
        };
        _ = catalog; // the catalog picks the change up from the store on its next read
        return Responses.Json(response, TaskTagsJsonContext.Default.TaskTagsResponse);
    }
}
