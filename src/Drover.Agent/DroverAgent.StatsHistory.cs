using Drover.Agent.Stats;
using Drover.Api.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Agent;

/// <summary>
/// The stats history (--stats-interval, --stats-history): a loop reads the host and every running task each interval
/// into <see cref="StatsHistory"/>'s rings, and /stats/history and /tasks/{id}/stats/history serve them (to the server,
/// which serves /v1/drover/…/stats/history). The loop has its own reader, so its CPU rates are averages over exactly
/// one interval, whatever requests for current figures come in between.
/// </summary>
public sealed partial class DroverAgent
{
    private readonly StatsHistory _history;
    private readonly AgentStatsReader _historyReader;

    /// <summary>The kept figures (for tests and the dashboard's charts through the server).</summary>
    public StatsHistory StatsHistory => _history;

    private async Task StatsHistoryLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.StatsInterval, _time);
        do
        {
            var stats = await _historyReader.ReadAllAsync(ct).ConfigureAwait(false);
            var running = Tasks.All().Where(r => !r.IsTerminal).Select(r => r.TaskId).ToHashSet(StringComparer.Ordinal);
            _history.Record(stats, running);
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    private void MapStatsHistory(IEndpointRouteBuilder app)
    {
        app.MapGet("/stats/history", (HttpContext ctx) =>
        {
            if (!HistorySince.TryParse(ctx.Request.Query["since"], out var since, out var error)) return BadRequest(error!);
            return Results.Json(new HostStatsHistory
            {
                Hostname = _options.Hostname,
                IntervalSeconds = _history.Interval.TotalSeconds,
                RetentionSeconds = _history.Retention.TotalSeconds,
                Samples = _history.ReadHost(since),
            }, StatsJsonContext.Default.HostStatsHistory);
        });
        app.MapGet("/tasks/{taskId}/stats/history", (string taskId, HttpContext ctx) =>
        {
            if (!HistorySince.TryParse(ctx.Request.Query["since"], out var since, out var error)) return BadRequest(error!);
            var runner = Tasks.Find(taskId);
            var samples = _history.ReadTask(taskId, since);
            if (runner is null || samples is null && runner.IsTerminal)
                return NotFound($"Task '{taskId}' is not running on this agent: its history went with it");
            return Results.Json(new TaskStatsHistory
            {
                TaskId = taskId,
                AppId = runner.Spec.AppId,
                Host = _options.Hostname,
                IntervalSeconds = _history.Interval.TotalSeconds,
                RetentionSeconds = _history.Retention.TotalSeconds,
                // running but not sampled yet: an empty history, not an error
                Samples = samples ?? [],
            }, StatsJsonContext.Default.TaskStatsHistory);
        });
    }

}
