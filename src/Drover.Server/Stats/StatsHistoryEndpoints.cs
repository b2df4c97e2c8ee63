using Drover.Api.Stats;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Http;
using Drover.Server.Storage;
using Drover.Server.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Stats;

/// <summary>
/// The figures agents kept (their --stats-history rings), passed through: the server stores none of them, as cAdvisor's
/// recent history lives on each node. Drover extensions under /v1/drover.
/// <list type="bullet">
/// <item><c>GET /v1/drover/tasks/{taskId}/stats/history[?since=TIME]</c>: <see cref="TaskStatsHistory"/>.</item>
/// <item><c>GET /v1/drover/agents/{idOrHost}/stats/history[?since=TIME]</c>: <see cref="HostStatsHistory"/>.</item>
/// </list>
/// </summary>
public static class StatsHistoryEndpoints
{
    public static void MapStatsHistoryEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v1/drover/tasks/{taskId}/stats/history", async (string taskId, HttpContext ctx, StateWriter writer, RecentTasks recent, AgentStatsClient client, CancellationToken ct) =>
        {
            var since = Since(ctx);
            var (task, agent) = StatsEndpoints.TaskAndAgent(writer, recent, taskId);
            var (history, notFound) = await client.GetAsync(agent, $"/tasks/{Uri.EscapeDataString(taskId)}/stats/history{HistorySince.Query(since)}",
                StatsJsonContext.Default.TaskStatsHistory, ct);
            if (history is null) throw ApiException.NotFound($"no stats history for task '{taskId}' ({task.State.ToWire()}): agent {agent.Hostname} says: {notFound}");
            return Responses.Json(history with { AgentId = agent.Id, Host = agent.Hostname }, StatsJsonContext.Default.TaskStatsHistory);
        });
        r.MapGet("/v1/drover/agents/{idOrHost}/stats/history", async (string idOrHost, HttpContext ctx, DrainService agents, AgentStatsClient client, CancellationToken ct) =>
        {
            var since = Since(ctx);
            var agent = agents.Resolve(idOrHost);
            var (history, notFound) = await client.GetAsync(agent, $"/stats/history{HistorySince.Query(since)}", StatsJsonContext.Default.HostStatsHistory, ct);
            if (history is null) throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) keeps no stats history: {notFound} (an older agent?)");
            return Responses.Json(history with { AgentId = agent.Id }, StatsJsonContext.Default.HostStatsHistory);
        });
    }

    private static DateTimeOffset? Since(HttpContext ctx) =>
        HistorySince.TryParse(ctx.Request.Query["since"], out var since, out var error) ? since : throw new ApiException(400, error!);
}
