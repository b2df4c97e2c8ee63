using Drover.Api;
using Drover.Api.Marathon;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Tasks;

public static class TaskEndpoints
{
    public static void MapTaskEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/tasks", (HttpContext ctx, TaskService tasks) => tasks.ListAll(ctx));
        r.MapPost("/v2/tasks/delete", (HttpContext ctx, TaskService tasks, CancellationToken ct) => tasks.DeleteManyAsync(ctx, ct));
        r.MapGet("/v2/tasks/{taskId}/logs", ProxyLogsAsync);
    }

    /// <summary>Streams a task's stdout/stderr from the agent that ran it (follow=true keeps streaming).</summary>
    private static async Task ProxyLogsAsync(string taskId, HttpContext ctx, StateWriter writer, RecentTasks recent, IHttpClientFactory httpFactory, CancellationToken ct)
    {
        var stream = ctx.Request.Query["stream"].ToString();
        if (stream.Length == 0) stream = "stdout";
        if (stream is not ("stdout" or "stderr")) throw ApiException.BadRequest($"stream must be stdout or stderr, not '{stream}'");
        var s = writer.Current;
        string agentId;
        if (s.Get(Collections.Tasks, taskId) is { } t) agentId = t.AgentId;
        else if (!recent.TryGet(taskId, out agentId, out _)) throw ApiException.NotFound($"Task '{taskId}' does not exist");
        var agent = s.Get(Collections.Agents, agentId);
        if (agent?.Endpoint is null) throw new ApiException(503, $"agent {agentId} of task '{taskId}' has no reachable endpoint");
        var follow = ctx.Request.Flag("follow");
        var offset = ctx.Request.Query["offset"].ToString();
        var url = $"{agent.Endpoint.TrimEnd('/')}/tasks/{Uri.EscapeDataString(taskId)}/logs?stream={stream}&follow={(follow ? "true" : "false")}"
                  + (offset.Length > 0 ? "&offset=" + Uri.EscapeDataString(offset) : "");
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
