using System.Text;
using Drover.Core.Routing;
using Drover.Lb.Model;

namespace Drover.Lb.Haproxy;

/// <summary>
/// Renders haproxy.cfg (HAProxy 2.6) for an <see cref="LbConfig"/>. Pure and deterministic: the same config gives the
/// same text, so "did the text change" is a valid reload test. Servers are written explicitly; later instance changes
/// go through the runtime API ("add server" needs a backend with a dynamic algorithm, hence consistent hashing for
/// "source").
/// </summary>
public static class ConfigRenderer
{
    public const string HttpFrontend = "drover_http";
    public const string MonitorFrontend = "drover_monitor";
    public const string MonitorUri = "/drover/health";

    public static string Render(LbConfig config, HaproxySettings settings)
    {
        var b = new StringBuilder();
        b.Append("# Written by drover lb; changes here are overwritten.\n");
        Global(b, settings);
        if (settings.MonitorPort != 0) Monitor(b, settings);
        if (settings.HttpPort != 0 && config.HttpRoutes.Count > 0) Http(b, config, settings);
        foreach (var l in config.Listeners)
        {
            b.Append('\n').Append($"frontend port_{l.Port}\n");
            b.Append($"    bind {settings.BindAddress}:{l.Port}\n");
            b.Append($"    mode {Mode(l.Mode)}\n");
            if (l.Mode == LbMode.Http) b.Append("    option idle-close-on-response\n");
            b.Append($"    default_backend {l.Backend}\n");
        }
        foreach (var be in config.Backends) Backend(b, be, settings);
        return b.ToString();
    }

    private static void Global(StringBuilder b, HaproxySettings s)
    {
        b.Append("global\n");
        b.Append("    master-worker\n");
        // expose-fd listeners: the new worker of a reload takes the listening sockets over, so no connection is refused.
        b.Append($"    stats socket {s.StatsSocket} mode 600 level admin expose-fd listeners\n");
        b.Append("    stats timeout 2m\n");
        b.Append('\n');
        b.Append("defaults\n");
        b.Append("    mode tcp\n");
        b.Append("    timeout connect 5s\n");
        b.Append("    timeout client 60s\n");
        b.Append("    timeout server 60s\n");
        b.Append("    timeout http-keep-alive 10s\n");
        // A connection to a server that went away is retried on another one rather than failing the request.
        b.Append("    retries 3\n");
        b.Append("    option redispatch\n");
    }

    // HAProxy answers monitor-uri itself, from the worker that serves traffic: an answer means it accepts and serves.
    private static void Monitor(StringBuilder b, HaproxySettings s)
    {
        b.Append('\n').Append($"frontend {MonitorFrontend}\n");
        b.Append($"    bind 127.0.0.1:{s.MonitorPort}\n");
        b.Append("    mode http\n");
        b.Append($"    monitor-uri {MonitorUri}\n");
    }

    private static void Http(StringBuilder b, LbConfig config, HaproxySettings s)
    {
        b.Append('\n').Append($"frontend {HttpFrontend}\n");
        b.Append($"    bind {s.BindAddress}:{s.HttpPort}\n");
        b.Append("    mode http\n");
        // Old workers close idle keep-alive connections after a reload instead of letting clients hit a closed socket.
        b.Append("    option idle-close-on-response\n");
        b.Append("    option forwardfor\n");
        for (var i = 0; i < config.HttpRoutes.Count; i++)
        {
            var r = config.HttpRoutes[i];
            var conds = new List<string>();
            if (r.Hosts.Count > 0)
            {
                b.Append($"    acl r{i}_host hdr(host),field(1,:) -i {string.Join(' ', r.Hosts)}\n");
                conds.Add($"r{i}_host");
            }
            if (r.Path is { } p && p != "/")
            {
                // "/api" matches "/api" and "/api/…", not "/apiary".
                b.Append($"    acl r{i}_path path {p}\n");
                b.Append($"    acl r{i}_path path_beg {p}/\n");
                conds.Add($"r{i}_path");
            }
            b.Append($"    use_backend {r.Backend}").Append(conds.Count > 0 ? " if " + string.Join(' ', conds) : "").Append('\n');
        }
    }

    private static void Backend(StringBuilder b, LbBackend be, HaproxySettings s)
    {
        b.Append('\n').Append($"backend {be.Name}\n");
        b.Append($"    mode {Mode(be.Mode)}\n");
        b.Append($"    balance {be.Balance}\n");
        if (be.Balance == "source") b.Append("    hash-type consistent\n");
        if (be.Sticky) b.Append($"    cookie {s.StickyCookie} insert indirect nocache\n");
        if (be.HttpCheckPath is { } check) b.Append($"    option httpchk GET {check}\n");
        if (be.StripPrefix is { } prefix && prefix != "/")
            b.Append($"    http-request set-path %[path,regsub(^{RegexLiteral(prefix)}/?,/)]\n");
        foreach (var sv in be.Servers) b.Append("    ").Append(ServerLine(sv, be, s)).Append('\n');
    }

    /// <summary>The server's keywords, shared by the config and the runtime API's "add server".</summary>
    public static string ServerArgs(LbServer sv, LbBackend be, HaproxySettings s)
    {
        var parts = new List<string> { $"{sv.Address}:{sv.Port}" };
        if (be.Sticky) parts.Add($"cookie {sv.Name}");
        if (be.HttpCheckPath is not null) parts.Add($"check inter {s.CheckIntervalMs}");
        return string.Join(' ', parts);
    }

    /// <summary>
    /// The keywords for "add server". HAProxy 2.6 refuses 'cookie' on dynamic servers, so a sticky backend's new
    /// servers come with a reload instead (<see cref="Planning.Planner"/>); everything else is the same as in the config,
    /// plus the idle-connection pool a server from the config has by default.
    /// </summary>
    public static string RuntimeServerArgs(LbServer sv, LbBackend be, HaproxySettings s) =>
        ServerArgs(sv, be with { Sticky = false }, s) + " " + DynamicServerPool;

    /// <summary>
    /// A server added through the runtime API does not get the defaults of one read from the config (unlimited idle
    /// connections kept for 5 s): without both keywords HAProxy 2.6 opens a new server connection for every request,
    /// which halved the throughput measured by bench/lb against a hand-written config.
    /// </summary>
    public const string DynamicServerPool = "pool-max-conn -1 pool-purge-delay 5s";

    private static string ServerLine(LbServer sv, LbBackend be, HaproxySettings s)
    {
        var line = $"server {sv.Name} {ServerArgs(sv, be, s)}";
        // A draining server keeps its sessions but gets no new ones: weight 0 until the runtime API takes over.
        return sv.State switch { ServerState.Drain => line + " weight 0", ServerState.Maint => line + " disabled", _ => line };
    }

    /// <summary>
    /// The prefix as a regex. Labels allow only letters, digits, "-._~%/" in paths, of which only '.' is special; "[.]"
    /// avoids a backslash, which HAProxy's config parser would itself take as an escape.
    /// </summary>
    private static string RegexLiteral(string prefix) => prefix.Replace(".", "[.]");

    private static string Mode(LbMode m) => m == LbMode.Http ? "http" : "tcp";
}
