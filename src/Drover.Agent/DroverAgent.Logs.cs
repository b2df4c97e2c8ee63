using Drover.Agent.Logs;
using Drover.Api;
using Drover.Api.Logs;
using Drover.Api.Marathon;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent;

/// <summary>Task logs: serving them over HTTP (the server proxies this) and keeping their offset index for <c>since</c>.</summary>
public sealed partial class DroverAgent
{
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(200);

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
        var file = TaskIds.IsSafe(taskId) ? FindLogFile(taskId, stream) : null;
        if (file is null)
        {
            await NotFound($"no logs for task '{taskId}' on this agent").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        var ct = http.RequestAborted;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16384, useAsync: true);
        var buffer = new byte[16384];
        try
        {
            input.Position = await StartOfLogAsync(input, file, stream, offset ?? 0, since, tail, ct).ConfigureAwait(false);
            await http.Response.StartAsync(ct).ConfigureAwait(false);
            // Headers now, not with the first output: a follower with tail=0 may wait a long time for that.
            await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            while (true)
            {
                // Check for the end before reading: whatever a finished task wrote is then read in full.
                var ended = follow != true || Tasks.Find(taskId) is not { IsTerminal: false };
                var n = await input.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (ended) return;
                await Task.Delay(LogPollInterval, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Where serving starts: after <paramref name="offset"/> and the <paramref name="since"/> offset, then back <paramref name="tail"/> lines from the end.</summary>
    private static async Task<long> StartOfLogAsync(FileStream input, string file, string stream, long offset, DateTimeOffset? since, int? tail, CancellationToken ct)
    {
        var end = input.Length;
        var start = offset >= 0 ? Math.Min(offset, end) : Math.Max(0, end + offset);
        if (since is { } moment)
        {
            // The modification time after the length: a write in between then only makes the answer include more.
            var lastWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
            var index = LogIndexFile.Read(LogIndexFile.PathFor(Path.GetDirectoryName(file)!, stream));
            start = Math.Max(start, LogOffsetIndex.StartOffset(index, moment, end, lastWrite));
        }
        if (tail is { } lines) start = await LogTail.StartOfLastLinesAsync(input, start, end, lines, ct).ConfigureAwait(false);
        return start;
    }

    private string? FindLogFile(string taskId, string stream)
    {
        var sandbox = Tasks.Find(taskId)?.Sandbox;
        if (sandbox is null)
        {
            // A forgotten task keeps its sandbox (and logs) for a while.
            sandbox = _drivers.Select(d => d.GetSandboxPath(taskId)).FirstOrDefault(Directory.Exists);
        }
        if (sandbox is null) return null;
        var file = Path.Combine(sandbox, stream);
        return File.Exists(file) ? file : null;
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
