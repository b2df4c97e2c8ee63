using Drover.Agent.Drivers;
using Drover.Agent.Logs;
using Drover.Api;
using Drover.Api.Logs;
using Drover.Api.Marathon;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent;

/// <summary>Task logs: serving them over HTTP (the server proxies this) and keeping their offset index for <c>since</c>.</summary>
public sealed partial class DroverAgent
{
        /// <summary>
    /// GET /tasks/{taskId}/logs: a task's stdout or stderr as plain text. Query parameters:
    /// <list type="bullet">
    /// <item><c>stream</c>: stdout (default) or stderr.</item>
    /// <item><c>offset</c>: start at this byte; negative means that many bytes before the end.</item>
    /// <item><c>since</c>: only output written at or after this moment, in any format of
    /// <see cref="LogQuery.TryParseSince"/> (RFC 3339, unix seconds or ms, or a duration like 10m before now).
    /// Tasks write their files themselves, so the moment is looked up in the offset index this agent keeps
    /// (<see cref="LogOffsetIndex"/>): precise to about one second, erring towards a little more output.</item>
    /// <item><c>tail</c>: only the last N lines (of what <c>since</c> selects); 0 for none of the history,
    /// absent or "all" for everything.</item>
    /// <item><c>follow</c>: true keeps streaming new output until the task has ended and the file is
    /// drained, or the client leaves.</item>
    /// </list>
    /// An invalid <c>tail</c> or <c>since</c> is a 400 naming the parameter.
    /// </summary>
    private async Task ServeLogsAsync(HttpContext http, string taskId, string? stream, long? offset, bool? follow)
    {
        stream ??= "stdout";
        if (stream is not ("stdout" or "stderr"))
        {
            await NotFound($"unknown log stream '{stream}' (use stdout or stderr)").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var query = http.Request.Query;
        if (!LogQuery.TryParseTail(query.TryGetValue("tail", out var t) ? t.ToString() : null, out var tail, out var tailError))
        {
            await BadRequest(tailError).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        if (!LogQuery.TryParseSince(query.TryGetValue("since", out var s) ? s.ToString() : null, _time.GetUtcNow(), out var since, out var sinceError))
        {
            await BadRequest(sinceError).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var ct = http.RequestAborted;
        var request = new TaskLogRequest { Stream = stream, Offset = offset ?? 0, Since = since, Tail = tail, Follow = follow == true };
        await using var log = TaskIds.IsSafe(taskId) ? await OpenLogAsync(taskId, request, ct).ConfigureAwait(false) : null;
        if (log is null)
        {
            await NotFound($"no logs for task '{taskId}' on this agent").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        try
        {
            await http.Response.StartAsync(ct).ConfigureAwait(false);
            // Headers now, not with the first output: a follower with tail=0 may wait a long time for that.
            await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            await log.CopyToAsync(http.Response.Body, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>The task's output through its driver; a forgotten task's driver is found by asking each in turn.</summary>
    private async Task<ITaskLog?> OpenLogAsync(string taskId, TaskLogRequest request, CancellationToken ct)
    {
        bool IsRunning() => Tasks.Find(taskId) is { IsTerminal: false };
        if (Tasks.Find(taskId)?.Driver is { } driver) return await driver.OpenLogAsync(taskId, request, IsRunning, ct).ConfigureAwait(false);
        foreach (var d in _drivers)
        {
            if (await d.OpenLogAsync(taskId, request, IsRunning, ct).ConfigureAwait(false) is { } log) return log;
        }
        return null;
    }

    /// <summary>The one loop that samples every task's log sizes into their offset indexes (not a timer per task).</summary>
    private async Task LogIndexLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LogOffsetIndex.SamplePeriod, _time);
        do
        {
            _logIndex.Sample(LogSources(), _time.GetUtcNow());
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    private List<LogSource> LogSources()
    {
        var sources = new List<LogSource>();
        foreach (var runner in Tasks.All())
        {
            // Read before the sizes: a task seen ended has written its last byte.
            var ended = runner.IsTerminal;
            if (runner.Sandbox is { } sandbox) sources.Add(new LogSource(runner.TaskId, sandbox, ended));
        }
        return sources;
    }

    private static IResult BadRequest(string message) =>
        Results.Json(new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse, statusCode: StatusCodes.Status400BadRequest);
}
