using Drover.Api;
using Drover.Api.Logs;
using Drover.Api.Marathon;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Tasks;

public static class TaskEndpoints
{
    public static void MapTaskEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/tasks", (HttpContext ctx, TaskService tasks) => tasks.ListAll(ctx));
        r.MapPost("/v2/tasks/delete", (HttpContext ctx, TaskService tasks, CancellationToken ct) => tasks.DeleteManyAsync(ctx, ct));
        r.MapGet("/v2/tasks/{taskId}/logs", ProxyLogsAsync);
    }

    /// <summary>
    /// GET /v2/tasks/{taskId}/logs: a task's stdout or stderr, streamed from the agent that ran it. Query parameters
    /// (validated here, then passed to the agent as given):
    /// <list type="bullet">
    /// <item><c>stream</c>: stdout (default) or stderr.</item>
    /// <item><c>follow</c>: true keeps streaming new output until the task has ended, or the client leaves.</item>
    /// <item><c>tail</c>: only the last N lines; 0 for none of the history (with follow: only new output);
    /// absent or "all" for everything.</item>
    /// <item><c>since</c>: only output written at or after this moment: an RFC 3339 / Marathon timestamp
    /// (2024-05-01T12:00:00.000Z), unix seconds or milliseconds, or a duration like 10m before now (on the
    /// agent's clock). Precise to about one second (the agent samples log sizes once a second), erring
    /// towards a little more output. With <c>tail</c>: the last N lines of what was written since then.</item>
    /// <item><c>offset</c>: start at this byte; negative means that many bytes before the end.</item>
    /// </list>
    /// An invalid <c>stream</c>, <c>tail</c> or <c>since</c> is a 400 naming the parameter.
    /// </summary>
    private static async Task ProxyLogsAsync(string taskId, HttpContext ctx, StateWriter writer, RecentTasks recent, IHttpClientFactory httpFactory, TimeProvider time, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        var stream = query["stream"].ToString();
        if (stream.Length == 0) stream = "stdout";
        if (stream is not ("stdout" or "stderr")) throw ApiException.BadRequest($"stream must be stdout or stderr, not '{stream}'");
        var tail = query.TryGetValue("tail", out var t) ? t.ToString() : null;
        if (!LogQuery.TryParseTail(tail, out _, out var tailError)) throw ApiException.BadRequest(tailError);
        var since = query.TryGetValue("since", out var si) ? si.ToString() : null;
        if (!LogQuery.TryParseSince(since, time.GetUtcNow(), out _, out var sinceError)) throw ApiException.BadRequest(sinceError);
        var s = writer.Current;
        string agentId;
        if (s.Get(Schema.Tasks, taskId) is { } task) agentId = task.AgentId;
        else if (!recent.TryGet(taskId, out agentId, out _)) throw ApiException.NotFound($"Task '{taskId}' does not exist");
        var agent = s.Get(Schema.Agents, agentId);
        if (agent?.Endpoint is null) throw new ApiException(503, $"agent {agentId} of task '{taskId}' has no reachable endpoint");
        var follow = ctx.Request.Flag("follow");
        var offset = query["offset"].ToString();
        var url = $"{agent.Endpoint.TrimEnd('/')}/tasks/{Uri.EscapeDataString(taskId)}/logs?stream={stream}&follow={(follow ? "true" : "false")}"
                  + (offset.Length > 0 ? "&offset=" + Uri.EscapeDataString(offset) : "")
                  + (tail is not null ? "&tail=" + Uri.EscapeDataString(tail) : "")
                  + (since is not null ? "&since=" + Uri.EscapeDataString(since) : "");
        var http = httpFactory.CreateClient("agents");
        HttpResponseMessage resp;
        try
        {
            resp = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new ApiException(502, $"agent {agentId} at {agent.Endpoint} did not answer: {ex.Message}");
        }
        using (resp)
        {
            ctx.Response.StatusCode = (int)resp.StatusCode;
            ctx.Response.ContentType = resp.Content.Headers.ContentType?.ToString() ?? "text/plain; charset=utf-8";
            // Pass the headers on at once: a follower with tail=0 may wait a long time for the first output.
            await ctx.Response.StartAsync(ct);
            await ctx.Response.Body.FlushAsync(ct);
            await using var body = await resp.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
    }
}
