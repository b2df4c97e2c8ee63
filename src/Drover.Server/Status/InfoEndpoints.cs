using System.Text.Json.Nodes;
using Drover.Server.Http;
using Drover.Server.Leadership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Status;

/// <summary>/ping and /v2/info (/v2/leader is <see cref="LeaderEndpoints"/>).</summary>
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
        r.MapGet("/v2/info", (ServerIdentity id, ServerOptions opts, ILeadership leadership) => Results.Text(Info(id, opts, leadership).ToJsonString(), "application/json"));
    }

    private static JsonObject Info(ServerIdentity id, ServerOptions opts, ILeadership leadership) => new()
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
