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
}
