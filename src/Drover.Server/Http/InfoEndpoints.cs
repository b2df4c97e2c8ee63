using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Http;

/// <summary>/ping, /v2/info, /v2/leader.</summary>
public static class InfoEndpoints
{
    public const string MarathonVersion = "1.4.13";

    public static void MapInfoEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/ping", (HttpContext ctx) =>
        {
            var accept = ctx.Request.Headers.Accept.ToString();
            return accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/", StringComparison.OrdinalIgnoreCase)
                ? Results.Text("\"pong\"", "application/json")
                : Results.Text("pong", "text/plain");
        });
        r.MapGet("/v2/leader", (Leadership.ILeadership leadership) => leadership.Leader is { } leader
            ? Responses.Json(new Api.Marathon.LeaderResponse(leader), Api.ApiJsonContext.Default.LeaderResponse)
            : throw new ApiException(404, $"There is no leader: {leadership.NoLeaderCause}")); // Marathon: 404 "There is no leader"
        // A write, so a follower forwards it to the leader (LeaderForwarding): whoever answers here leads.
        r.MapDelete("/v2/leader", async (Leadership.ILeadership leadership, CancellationToken ct) => await leadership.AbdicateAsync(ct)
            ? Responses.Json(new Api.Marathon.MessageResponse { Message = "Leadership abdicated" }, Api.ApiJsonContext.Default.MessageResponse)
            : throw new ApiException(503, $"no leader: this server lost leadership before it could abdicate; try again"));
        r.MapGet("/v2/info", (ServerIdentity id, ServerOptions opts, Leadership.ILeadership leadership) => Results.Text(Info(id, opts, leadership).ToJsonString(), "application/json"));
    }

    private static JsonObject Info(ServerIdentity id, ServerOptions opts, Leadership.ILeadership leadership) => new()
    {
        ["name"] = "marathon",
        ["version"] = MarathonVersion,
        ["buildref"] = "drover",
        ["elected"] = leadership.IsLeader,
        ["leader"] = leadership.Leader,
        ["frameworkId"] = id.ClusterId,
        ["marathon_config"] = new JsonObject
        {
            ["checkpoint"] = true,
            ["executor"] = "//cmd",
            ["failover_timeout"] = 604800,
            ["features"] = new JsonArray(),
            ["framework_name"] = "drover",
            ["ha"] = opts.UsesEtcd,
            ["hostname"] = id.Host,
            ["leader_proxy_connection_timeout_ms"] = 5000,
            ["leader_proxy_read_timeout_ms"] = 10000,
            ["local_port_max"] = opts.ServicePortMax,
            ["local_port_min"] = opts.ServicePortMin,
            ["master"] = "drover://" + id.HostPort,
            ["mesos_leader_ui_url"] = "http://" + id.HostPort + "/",
            ["mesos_role"] = null,
            ["mesos_user"] = Environment.UserName,
            ["webui_url"] = null,
            ["reconciliation_initial_delay"] = 0,
            ["reconciliation_interval"] = (long)opts.ReconcileInterval.TotalMilliseconds,
            ["task_launch_timeout"] = 300000,
            ["task_reservation_timeout"] = 20000,
        },
        ["zookeeper_config"] = new JsonObject
        {
            ["zk"] = opts.Etcd is { } etcd ? "etcd://" + etcd + opts.EtcdPrefix : opts.DataDir is null ? "memory://" : "sqlite://" + Path.Combine(opts.DataDir, "state.db"),
            ["zk_timeout"] = 10000,
            ["zk_session_timeout"] = 10000,
            ["zk_max_versions"] = Apps.AppService.MaxStoredVersions,
        },
        ["http_config"] = new JsonObject { ["http_port"] = id.Port, ["https_port"] = 0 },
        ["event_subscriber"] = null,
    };
}

/// <summary>This server's address, known once Kestrel has bound.</summary>
public sealed class ServerIdentity
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }
    public string HostPort => $"{Host}:{Port}";
    public string ClusterId { get; set; } = Guid.NewGuid().ToString("D");

    /// <summary>When this server was built (its uptime counts from here, not from the first status request).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>host:port the other servers and clients reach this one by (--advertise, else the bound address).</summary>
    public string AdvertisedHostPort { get; set; } = "127.0.0.1:0";

    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the HTTP listener is bound and the addresses above are final (an election needs them).</summary>
    public Task Bound => _bound.Task;

    public void MarkBound() => _bound.TrySetResult();
}
