using Drover.Api.Stats;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Http;
using Drover.Server.Storage;
using Drover.Server.Tasks;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Stats;

/// <summary>
/// Task and host figures, read from the agents when asked (nothing is stored: they change every second, and the
/// store is for what must survive). Drover extensions: Marathon has no such routes, so Marathon clients never see them.
/// <list type="bullet">
/// <item><c>GET /v2/tasks/{taskId}/stats</c>: one task (<see cref="TaskStats"/>).</item>
/// <item><c>GET /v1/drover/agents/{idOrHost}/stats</c>: one host (<see cref="HostStats"/>).</item>
/// <item><c>GET /v1/drover/stats[?app=ID]</c>: every running task (of the app, or of every app under the group) and
/// every reachable host, one request per agent (<see cref="ClusterStats"/>): what `drover top` and the dashboard poll.</item>
/// </list>
/// </summary>
public static class StatsEndpoints
{
    public static void MapStatsEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/tasks/{taskId}/stats", TaskStatsAsync);
        r.MapGet("/v1/drover/agents/{idOrHost}/stats", async (string idOrHost, DrainService agents, AgentStatsClient client, CancellationToken ct) =>
        {
            var agent = agents.Resolve(idOrHost);
            var (stats, notFound) = await client.GetAsync(agent, "/stats", StatsJsonContext.Default.AgentStats, ct);
            if (stats is null) throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) has no stats endpoint: {notFound} (an older agent?)");
            return Responses.Json(stats.Host with { AgentId = agent.Id }, StatsJsonContext.Default.HostStats);
        });
        r.MapGet("/v1/drover/stats", ClusterStatsAsync);
        r.MapStatsHistoryEndpoints();
    }

    private static async Task<IResult> TaskStatsAsync(string taskId, StateWriter writer, RecentTasks recent, AgentStatsClient client, CancellationToken ct)
    {
        var (task, agent) = TaskAndAgent(writer, recent, taskId);
        var (stats, notFound) = await client.GetAsync(agent, $"/tasks/{Uri.EscapeDataString(taskId)}/stats", StatsJsonContext.Default.TaskStats, ct);
        // known here but not running there: staged, just ended, or its agent restarted without it
        if (stats is null) throw ApiException.NotFound($"no stats for task '{taskId}' ({task.State.ToWire()}): agent {agent.Hostname} says: {notFound}");
        return Responses.Json(stats with { AgentId = agent.Id, Host = agent.Hostname }, StatsJsonContext.Default.TaskStats);
    }

    /// <summary>The task and the agent it runs on, or a 404 saying why there are no figures.</summary>
    internal static (TaskRecord Task, AgentInfo Agent) TaskAndAgent(StateWriter writer, RecentTasks recent, string taskId)
    {
        var s = writer.Current;
        var task = s.Get(Schema.Tasks, taskId)
                   ?? throw ApiException.NotFound(recent.TryGet(taskId, out _, out _)
                       ? $"Task '{taskId}' has ended: figures are kept only while a task runs (its logs stay: /v2/tasks/{taskId}/logs)"
                       : $"Task '{taskId}' does not exist");
        var agent = s.Get(Schema.Agents, task.AgentId) ?? throw ApiException.NotFound($"Task '{taskId}' has no agent: agent {task.AgentId} is gone");
        return (task, agent);
    }

    private static async Task<IResult> ClusterStatsAsync(HttpContext ctx, StateWriter writer, AgentStatsClient client, CancellationToken ct)
    {
        var s = writer.Current;
        var app = ctx.Request.Query["app"].ToString();
        string? appId = null;
        if (app.Length > 0)
        {
            appId = PathId.Canonical(app);
            if (s.Get(Schema.Apps, appId) is null && !s.All(Schema.Apps).Any(a => PathId.IsUnder(a.Id, appId)))
                throw ApiException.NotFound($"App '{appId}' does not exist");
        }
        bool Wanted(string taskAppId) => appId is null || taskAppId == appId || PathId.IsUnder(taskAppId, appId);
        var tasks = s.All(Schema.Tasks).Where(t => Wanted(t.AppId)).ToList();
        // with an app: the hosts its tasks run on; without: every agent the server can reach
        var agentIds = appId is null
            ? s.All(Schema.Agents).Where(a => a.Status != AgentStatus.Unreachable).Select(a => a.Id).ToHashSet()
            : tasks.Select(t => t.AgentId).ToHashSet();
        var agents = s.All(Schema.Agents).Where(a => agentIds.Contains(a.Id)).ToList();
        var known = tasks.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);

        var answers = await Task.WhenAll(agents.Select(async a =>
        {
            try
            {
                var (stats, notFound) = await client.GetAsync(a, "/stats", StatsJsonContext.Default.AgentStats, ct);
                return (Agent: a, Stats: stats, Error: stats is null ? $"no stats endpoint: {notFound}" : null);
            }
            catch (ApiException e)
            {
                return (Agent: a, Stats: (AgentStats?)null, Error: e.Message);
            }
        }));
        var result = new ClusterStats
        {
            // only tasks the server knows: an agent's leftover the server has not killed yet is no app's
            Tasks = [.. answers.Where(x => x.Stats is not null)
                .SelectMany(x => x.Stats!.Tasks.Where(t => known.Contains(t.TaskId)).Select(t => t with { AgentId = x.Agent.Id, Host = x.Agent.Hostname }))
                .OrderBy(t => t.AppId, StringComparer.Ordinal).ThenBy(t => t.TaskId, StringComparer.Ordinal)],
            Hosts = [.. answers.Where(x => x.Stats is not null).Select(x => x.Stats!.Host with { AgentId = x.Agent.Id }).OrderBy(h => h.Hostname, StringComparer.Ordinal)],
            Errors = [.. answers.Where(x => x.Error is not null).Select(x => new AgentStatsError(x.Agent.Id, x.Agent.Hostname, x.Error!))],
        };
        return Responses.Json(result, StatsJsonContext.Default.ClusterStats);
    }

}
