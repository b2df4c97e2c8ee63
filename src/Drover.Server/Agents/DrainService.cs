using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Server.Http;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>
/// Drain and undrain (<c>drover agent drain HOST</c>): a draining agent gets no new work, and the reconciler moves
/// its tasks away as a rolling upgrade would (a replacement elsewhere first, the old task killed once enough are
/// healthy: never below the app's minimumHealthCapacity). At the deadline, if any, what is left is killed and
/// replaced. Nomad's <c>node drain -deadline</c> behaves the same way.
/// </summary>
public sealed class DrainService(StateWriter writer, TimeProvider time, ServerLog log)
{
    public async Task<AgentInfo> DrainAsync(string idOrHost, TimeSpan? deadline, CancellationToken ct)
    {
        if (deadline is { } d && d <= TimeSpan.Zero) throw ApiException.BadRequest($"deadline must be positive, got {d.TotalSeconds}s");
        var now = time.GetUtcNow();
        var id = Resolve(idOrHost).Id;
        AgentInfo? result = null;
        await writer.UpdateAsync(s =>
        {
            var agent = s.Get(Schema.Agents, id) ?? throw ApiException.NotFound($"agent '{idOrHost}' is gone");
            var drain = new AgentDrain
            {
                // draining again keeps the start, and replaces the deadline (a later or no deadline extends it)
                StartedAt = agent.Drain?.StartedAt ?? MarathonTime.ToWire(now),
                Deadline = deadline is { } dl ? MarathonTime.ToWire(now + dl) : null,
            };
            result = agent with { Drain = drain, Status = agent.Status == AgentStatus.Unreachable ? AgentStatus.Unreachable : AgentStatus.Draining };
            return [StateOp.Put(Schema.Agents, id, result)];
        }, ct);
        log.AgentDraining(id, result!.Hostname, result.Drain!.Deadline ?? "none");
        return result;
    }

    public async Task<AgentInfo> UndrainAsync(string idOrHost, CancellationToken ct)
    {
        var id = Resolve(idOrHost).Id;
        AgentInfo? result = null;
        await writer.UpdateAsync(s =>
        {
            var agent = s.Get(Schema.Agents, id) ?? throw ApiException.NotFound($"agent '{idOrHost}' is gone");
            result = agent with { Drain = null, Status = agent.Status == AgentStatus.Unreachable ? AgentStatus.Unreachable : AgentStatus.Active };
            return [StateOp.Put(Schema.Agents, id, result)];
        }, ct);
        log.AgentUndrained(id, result!.Hostname);
        return result;
    }

    /// <summary>An agent by id, or by hostname when exactly one agent has it.</summary>
    public AgentInfo Resolve(string idOrHost)
    {
        var agents = writer.Current.All(Schema.Agents).ToList();
        if (agents.FirstOrDefault(a => a.Id == idOrHost) is { } byId) return byId;
        var byHost = agents.Where(a => string.Equals(a.Hostname, idOrHost, StringComparison.OrdinalIgnoreCase)).ToList();
        return byHost.Count switch
        {
            1 => byHost[0],
            0 => throw ApiException.NotFound(agents.Count == 0
                ? $"no agent '{idOrHost}': no agent has registered"
                : $"no agent '{idOrHost}' (agents: {string.Join(", ", agents.Select(a => a.Hostname).Order(StringComparer.Ordinal))})"),
            _ => throw ApiException.Conflict($"several agents are called '{idOrHost}'; name one by id: {string.Join(", ", byHost.Select(a => a.Id))}"),
        };
    }

    /// <summary>Kill marks for the tasks still on agents whose drain deadline has passed (they are then replaced elsewhere).</summary>
    public static IEnumerable<(StateOp Op, TaskRecord Task, AgentInfo Agent)> DeadlineKills(StateSnapshot s, DateTimeOffset now)
    {
        foreach (var agent in s.All(Schema.Agents))
        {
            if (agent.Drain?.Deadline is not { } d || !MarathonTime.TryParse(d, out var deadline) || deadline > now) continue;
            foreach (var t in TaskIndex.OnAgent(s, agent.Id))
            {
                if (t.KillRequested) continue;
                yield return (StateOp.Put(Schema.Tasks, t.Id, t with { KillRequested = true }), t, agent);
            }
        }
    }
}
