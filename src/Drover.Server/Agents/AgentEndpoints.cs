using System.Text.Json;
using Drover.Api;
using Drover.Api.Agents;
using Drover.Api.Marathon;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>/internal/agents/*: the agent protocol (token-checked) and /v1/drover/agents.</summary>
public static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder r)
    {
        var g = r.MapGroup("/internal/agents").AddEndpointFilter<Security.JoinTokenFilter>();
        g.MapPost("/register", async (HttpContext ctx, AgentService agents, CancellationToken ct) =>
        {
            var reg = await ReadAsync(ctx, ApiJsonContext.Default.AgentRegistration, ct);
            var registered = await agents.RegisterAsync(reg, ct);
            // The DNS address as bound (port 0 resolved), so the agent can judge whether containers reach it.
            var dns = ctx.RequestServices.GetService(typeof(DnsService.DnsHost)) is DnsService.DnsHost host ? host.Server?.UdpEndpoint : null;
            return Responses.Json(registered with { DnsEndpoint = dns?.ToString() }, ApiJsonContext.Default.AgentRegistered);
        });
        g.MapPost("/{id}/heartbeat", async (string id, HttpContext ctx, AgentService agents, CancellationToken ct) =>
        {
            var hb = await ReadAsync(ctx, ApiJsonContext.Default.AgentHeartbeat, ct);
            return Responses.Json(await agents.HeartbeatAsync(id, hb.Tasks, ct, hb.HeldPorts, hb.Run, hb.Seq), ApiJsonContext.Default.HeartbeatAck);
        });
        g.MapPost("/{id}/status", async (string id, HttpContext ctx, AgentService agents, CancellationToken ct) =>
        {
            var reports = await ReadAsync(ctx, ApiJsonContext.Default.ListTaskStatusReport, ct);
            return Responses.Json(await agents.ReportAsync(id, reports, ct), ApiJsonContext.Default.HeartbeatAck);
        });
        g.MapGet("/{id}/assignments", async (string id, HttpContext ctx, AssignmentService assignments, CancellationToken ct) =>
        {
            var wait = ParseWait(ctx.Request.Query["wait"].ToString(), TimeSpan.FromSeconds(25));
            var fp = ctx.Request.Query["fingerprint"].ToString();
            var result = await assignments.WaitAsync(id, fp.Length == 0 ? null : fp, wait, ct);
            return Responses.Json(result, ApiJsonContext.Default.AgentAssignments);
        });

        r.MapGet("/v1/drover/agents", (StateWriter writer) =>
        {
            var s = writer.Current;
            var usage = Usage(s);
            var list = s.All(Schema.Agents).Select(a => View(WithLastSeen(s, a), usage)).ToList();
            return Responses.Json(new AgentsResponse(list), ApiJsonContext.Default.AgentsResponse);
        });
        // Drover extensions (not Marathon's): drain and undrain an agent, named by id or hostname
        r.MapPost("/v1/drover/agents/{idOrHost}/drain", async (string idOrHost, HttpContext ctx, DrainService drains, StateWriter writer, CancellationToken ct) =>
        {
            var raw = ctx.Request.Query["deadline"].ToString();
            TimeSpan? deadline = raw.Length == 0 ? null
                : Core.Json.Durations.TryParse(raw, out var d, bareSeconds: true) ? d
                : throw ApiException.BadRequest($"Invalid deadline '{raw}': use a duration such as 30s, 5m or 1h");
            var agent = await drains.DrainAsync(idOrHost, deadline, ct);
            return Responses.Json(View(WithLastSeen(writer.Current, agent), Usage(writer.Current)), ApiJsonContext.Default.AgentView);
        });
        r.MapDelete("/v1/drover/agents/{idOrHost}/drain", async (string idOrHost, DrainService drains, StateWriter writer, CancellationToken ct) =>
        {
            var agent = await drains.UndrainAsync(idOrHost, ct);
            return Responses.Json(View(WithLastSeen(writer.Current, agent), Usage(writer.Current)), ApiJsonContext.Default.AgentView);
        });
    }

    /// <summary>
    /// lastSeenAt as the store knows it on every server (leader or not): the leader's stored heartbeat time
    /// (<see cref="Schema.AgentLastSeen"/>, at most a flush interval old) when later than the registration's.
    /// </summary>
    private static AgentInfo WithLastSeen(StateSnapshot s, AgentInfo a) =>
        s.Get(Schema.AgentLastSeen, a.Id) is { } seen && MarathonTime.TryParse(seen.LastSeenAt, out var t)
            && (!MarathonTime.TryParse(a.LastSeenAt, out var registered) || t > registered)
            ? a with { LastSeenAt = seen.LastSeenAt }
            : a;

    private static Dictionary<string, (double Cpus, double Mem, double Disk, int Count)> Usage(StateSnapshot s)
    {
        var usage = new Dictionary<string, (double Cpus, double Mem, double Disk, int Count)>();
        foreach (var t in s.All(Schema.Tasks))
        {
            usage.TryGetValue(t.AgentId, out var u);
            usage[t.AgentId] = (u.Cpus + t.Cpus, u.Mem + t.MemMb, u.Disk + t.DiskMb, u.Count + 1);
        }
        return usage;
    }

    private static AgentView View(AgentInfo a, Dictionary<string, (double Cpus, double Mem, double Disk, int Count)> usage)
    {
        usage.TryGetValue(a.Id, out var u);
        return new AgentView
        {
            Agent = a, UsedCpus = u.Cpus, UsedMemMb = u.Mem, UsedDiskMb = u.Disk, Tasks = u.Count,
            Drain = a.Drain is null ? null : u.Count > 0 ? "draining" : "drained",
        };
    }

    private static async Task<T> ReadAsync<T>(HttpContext ctx, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        var body = await ctx.Request.ReadJsonAsync(ct);
        try
        {
            return body.Deserialize(type) ?? throw ApiException.BadRequest("request body must not be null");
        }
        catch (JsonException ex)
        {
            throw new ApiException(400, "Invalid JSON", [new ErrorDetail(ex.Path ?? "/", [ex.Message])]);
        }
    }

    /// <summary>Go-style durations as Consul uses them (30s, 5m, 100ms), or plain seconds.</summary>
    public static TimeSpan ParseWait(string s, TimeSpan fallback) =>
        string.IsNullOrWhiteSpace(s) ? fallback
        : Core.Json.Durations.TryParse(s, out var d, bareSeconds: true) ? d
        : throw ApiException.BadRequest($"Invalid wait '{s}': use a duration such as 30s, 5m or 100ms");
}
