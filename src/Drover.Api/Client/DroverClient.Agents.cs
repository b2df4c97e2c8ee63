using System.Text;
using Drover.Api.Agents;
using Drover.Api.Marathon;

namespace Drover.Api.Client;

/// <summary>The agent ↔ server protocol (under /internal/agents) and agent listing.</summary>
public sealed partial class DroverClient
{
    public Task<AgentRegistered> RegisterAgentAsync(AgentRegistration reg, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/internal/agents/register", Json(reg, ApiJsonContext.Default.AgentRegistration), ApiJsonContext.Default.AgentRegistered, ct);

    public Task<HeartbeatAck> HeartbeatAsync(string agentId, AgentHeartbeat hb, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/internal/agents/{Uri.EscapeDataString(agentId)}/heartbeat", Json(hb, ApiJsonContext.Default.AgentHeartbeat), ApiJsonContext.Default.HeartbeatAck, ct);

    /// <summary>Reports task state changes as they happen (crash, running, health change).</summary>
    public Task<HeartbeatAck> ReportStatusAsync(string agentId, IReadOnlyList<TaskStatusReport> reports, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/internal/agents/{Uri.EscapeDataString(agentId)}/status",
            Json(reports.ToList(), ApiJsonContext.Default.ListTaskStatusReport), ApiJsonContext.Default.HeartbeatAck, ct);

    /// <summary>Long-polls the task set for this agent; returns at once if it differs from <paramref name="fingerprint"/>, else when it changes or after <paramref name="wait"/>.</summary>
    public Task<AgentAssignments> GetAssignmentsAsync(string agentId, string? fingerprint, TimeSpan wait, CancellationToken ct = default)
    {
        var q = new StringBuilder($"/internal/agents/{Uri.EscapeDataString(agentId)}/assignments?wait={(int)wait.TotalMilliseconds}ms");
        if (fingerprint is not null) q.Append("&fingerprint=").Append(Uri.EscapeDataString(fingerprint));
        return SendAsync(HttpMethod.Get, q.ToString(), null, ApiJsonContext.Default.AgentAssignments, ct, wait + TimeSpan.FromSeconds(15));
    }

    public Task<AgentsResponse> GetAgentsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v1/drover/agents", null, ApiJsonContext.Default.AgentsResponse, ct);

    /// <summary>Drains an agent (by id or hostname): no new tasks there, its tasks move away; with a deadline, those left then are killed.</summary>
    public Task<AgentView> DrainAgentAsync(string idOrHost, TimeSpan? deadline = null, CancellationToken ct = default)
    {
        var path = $"/v1/drover/agents/{Uri.EscapeDataString(idOrHost)}/drain";
        if (deadline is { } d) path += $"?deadline={(long)Math.Ceiling(d.TotalSeconds)}s";
        return SendAsync(HttpMethod.Post, path, null, ApiJsonContext.Default.AgentView, ct);
    }

    /// <summary>Ends a drain: the agent takes new tasks again.</summary>
    public Task<AgentView> UndrainAgentAsync(string idOrHost, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/drover/agents/{Uri.EscapeDataString(idOrHost)}/drain", null, ApiJsonContext.Default.AgentView, ct);
}
