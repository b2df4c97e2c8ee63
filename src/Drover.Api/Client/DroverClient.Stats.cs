using Drover.Api.Stats;

namespace Drover.Api.Client;

/// <summary>Task and host figures (Drover extensions: /v2/tasks/{id}/stats, /v1/drover/agents/{id}/stats, /v1/drover/stats).</summary>
public sealed partial class DroverClient
{
    public Task<TaskStats> GetTaskStatsAsync(string taskId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v2/tasks/{Uri.EscapeDataString(taskId)}/stats", null, StatsJsonContext.Default.TaskStats, ct);

    /// <summary>One agent's host, by id or hostname.</summary>
    public Task<HostStats> GetAgentStatsAsync(string idOrHost, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/drover/agents/{Uri.EscapeDataString(idOrHost)}/stats", null, StatsJsonContext.Default.HostStats, ct);

    /// <summary>Every running task (of <paramref name="appId"/> and the apps under it, when given) and every host, from all agents at once.</summary>
    public Task<ClusterStats> GetClusterStatsAsync(string? appId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, appId is null ? "/v1/drover/stats" : $"/v1/drover/stats?app={Uri.EscapeDataString(appId)}", null, StatsJsonContext.Default.ClusterStats, ct);

    /// <summary>The samples the task's agent kept (every --stats-interval, for --stats-history), newer than <paramref name="since"/> when given.</summary>
    public Task<TaskStatsHistory> GetTaskStatsHistoryAsync(string taskId, DateTimeOffset? since = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/drover/tasks/{Uri.EscapeDataString(taskId)}/stats/history{HistorySince.Query(since)}", null, StatsJsonContext.Default.TaskStatsHistory, ct);

    /// <summary>The samples an agent kept of its host, by id or hostname, newer than <paramref name="since"/> when given.</summary>
    public Task<HostStatsHistory> GetAgentStatsHistoryAsync(string idOrHost, DateTimeOffset? since = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/drover/agents/{Uri.EscapeDataString(idOrHost)}/stats/history{HistorySince.Query(since)}", null, StatsJsonContext.Default.HostStatsHistory, ct);
}
