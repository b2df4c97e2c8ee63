using System.Text;
using Drover.Core.Routing;
using Drover.Lb.Model;

namespace Drover.Lb.Nginx;

/// <summary>
/// Renders nginx.conf for an <see cref="LbConfig"/>, the same desired state HAProxy gets. Pure and deterministic, so
/// "did the text change" decides whether Nginx is reloaded (Nginx has no runtime API for servers: every change is a
/// reload, which is graceful — old workers finish their requests).
/// </summary>
/// <remarks>
/// Nginx picks a server block by Host first and then the longest matching prefix location, so HAProxy's ordered rules
/// become one server block per host name (holding that host's routes and every host-less route) plus a default server
/// for the host-less routes. Only ready servers are listed: Nginx cannot drain one (a reload does that for it), and an
/// upstream without servers is an error, so a backend with none answers 503 as HAProxy does.
/// </remarks>
public static class NginxRenderer
{
    public static string Render(LbConfig config, NginxSettings settings)
    {
        var b = new StringBuilder();
        b.Append("# Written by drover lb; changes here are overwritten.\n");
        var tcp = config.Listeners.Where(l => l.Mode == LbMode.Tcp).ToList();
        if (tcp.Count > 0 && settings.StreamModulePath is { } module) b.Append($"load_module {module};\n");
        b.Append($"pid {settings.PidFile};\n");
        b.Append($"error_log {settings.ErrorLog} warn;\n");
        b.Append("worker_processes auto;\n");
        b.Append("events {\n    worker_connections 1024;\n}\n");
        Http(b, config, settings);
        if (tcp.Count > 0) Stream(b, config, tcp, settings);
        return b.ToString();
    }

    private static void Http(StringBuilder b, LbConfig config, NginxSettings s)
    {
        b.Append("\nhttp {\n");
        b.Append("    access_log off;\n");
        foreach (var kind in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
            b.Append($"    {kind}_temp_path {Path.Combine(s.TempDir, kind)};\n");
        // Upstream connections are reused (HTTP/1.1 with an empty Connection header), as HAProxy does.
        b.Append("    proxy_http_version 1.1;\n");
        b.Append("    proxy_set_header Connection \"\";\n");
        b.Append("    proxy_set_header Host $host;\n");
        b.Append("    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n");
        // A connection refused by a server that just went away is retried on the next one (HAProxy's "redispatch").
        b.Append("    proxy_next_upstream error timeout;\n");

        var httpBackends = config.Backends.Where(be => be.Mode == LbMode.Http && Ready(be).Any()).ToList();
        foreach (var be in httpBackends) Upstream(b, be, "    ", keepalive: true);

        var byName = config.Backends.ToDictionary(be => be.Name);
        if (s.HttpPort != 0 && config.HttpRoutes.Count > 0)
        {
            var anyHost = config.HttpRoutes.Where(r => r.Hosts.Count == 0).ToList();
            Server(b, s, s.HttpPort, "_", defaultServer: true, anyHost, byName);
            foreach (var host in config.HttpRoutes.SelectMany(r => r.Hosts).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
            {
                // The host's own routes come first, so they win a location both they and a host-less route define.
                var routes = config.HttpRoutes.Where(r => r.Hosts.Contains(host, StringComparer.OrdinalIgnoreCase)).Concat(anyHost).ToList();
                Server(b, s, s.HttpPort, host, defaultServer: false, routes, byName);
            }
        }
        foreach (var l in config.Listeners.Where(l => l.Mode == LbMode.Http))
            Server(b, s, l.Port, "_", defaultServer: true, [new HttpRoute(l.Backend, [], null)], byName);
        b.Append("}\n");
    }

    private static void Server(StringBuilder b, NginxSettings s, int port, string name, bool defaultServer, IReadOnlyList<HttpRoute> routes,
        IReadOnlyDictionary<string, LbBackend> backends)
    {
        b.Append("\n    server {\n");
        b.Append($"        listen {Listen(s, port)}{(defaultServer ? " default_server" : "")};\n");
        b.Append($"        server_name {name};\n");
        var seen = new HashSet<string>();
        foreach (var r in routes)
        {
            if (!backends.TryGetValue(r.Backend, out var be)) continue;
            var prefix = r.Path is { } p && p != "/" ? p : null;
            var strip = be.StripPrefix is { } sp && sp != "/" && prefix is not null;
            // "/api" matches "/api" and "/api/…", not "/apiary", as in the HAProxy config.
            var locations = prefix is null ? ["/"] : new[] { $"= {prefix}", $"{prefix}/" };
            foreach (var loc in locations)
            {
                if (!seen.Add(loc)) continue;
                b.Append($"        location {loc} {{\n");
                if (!Ready(be).Any()) b.Append("            return 503;\n");
                // With a URI part, proxy_pass replaces the matched location prefix by it: that is the prefix stripping.
                else b.Append($"            proxy_pass http://{be.Name}{(strip ? "/" : "")};\n");
                b.Append("        }\n");
            }
        }
        b.Append("    }\n");
    }

    private static void Stream(StringBuilder b, LbConfig config, List<PortListener> tcp, NginxSettings s)
    {
        if (s.StreamModulePath is null)
        {
            b.Append('\n');
            foreach (var l in tcp) b.Append($"# tcp service port {l.Port} ({l.Backend}) left out: no stream module configured\n");
            return;
        }
        b.Append("\nstream {\n");
        var byName = config.Backends.ToDictionary(be => be.Name);
        foreach (var name in tcp.Select(l => l.Backend).Distinct())
            if (byName.TryGetValue(name, out var be) && Ready(be).Any()) Upstream(b, be, "    ", keepalive: false);
        foreach (var l in tcp)
        {
            b.Append("\n    server {\n");
            b.Append($"        listen {Listen(s, l.Port)};\n");
            // A TCP listener without servers has nowhere to send a connection: it is accepted and closed.
            b.Append(byName.TryGetValue(l.Backend, out var be) && Ready(be).Any() ? $"        proxy_pass {l.Backend};\n" : "        return \"\";\n");
            b.Append("    }\n");
        }
        b.Append("}\n");
    }

    private static void Upstream(StringBuilder b, LbBackend be, string indent, bool keepalive)
    {
        b.Append($"\n{indent}upstream {be.Name} {{\n");
        if (Balance(be) is { } balance) b.Append($"{indent}    {balance};\n");
        foreach (var sv in Ready(be)) b.Append($"{indent}    server {sv.Address}:{sv.Port};\n");
        if (keepalive) b.Append($"{indent}    keepalive 16;\n");
        b.Append($"{indent}}}\n");
    }

    /// <summary>
    /// HAProxy's algorithms in Nginx terms. Open-source Nginx has no cookie stickiness, so a sticky backend is pinned by
    /// client address (as "source"); "first" has no equivalent and stays round robin, Nginx's default.
    /// </summary>
    private static string? Balance(LbBackend be) => be.Sticky || be.Balance == "source" ? "hash $remote_addr consistent"
        : be.Balance switch { "leastconn" => "least_conn", "random" => "random", _ => null };

    private static IEnumerable<LbServer> Ready(LbBackend be) => be.Servers.Where(sv => sv.State == ServerState.Ready);

    private static string Listen(NginxSettings s, int port) => s.BindAddress == "*" ? port.ToString() : $"{s.BindAddress}:{port}";
}
