using System.Diagnostics;
using Drover.Core.Cluster;
using Drover.Lb.Haproxy;
using Drover.Lb.Model;
using Drover.Lb.Planning;
using static Drover.Lb.Tests.Fixtures;

namespace Drover.Lb.Tests;

public class ConfigRendererTests
{
    private static readonly HaproxySettings Settings = new() { BindAddress = "127.0.0.1", HttpPort = 8088, StatsSocket = "/run/drover/haproxy.sock" };

    internal static LbConfig Sample() => DesiredState.Build(
        [
            App("/fib", new() { ["HAPROXY_0_PATH"] = "/services/fibonacci", ["HAPROXY_0_PATH_STRIP"] = "true", ["HAPROXY_0_HTTP_CHECK_PATH"] = "/health" }, servicePort: 0),
            App("/site", new() { ["HAPROXY_0_VHOST"] = "example.com,www.example.com", ["HAPROXY_0_STICKY"] = "true", ["HAPROXY_0_BALANCE"] = "leastconn" }, servicePort: 10001),
            App("/db", new() { ["HAPROXY_0_BALANCE"] = "source" }, servicePort: 10002),
        ],
        [Task("/fib", "fib.a", 31001), Task("/site", "site.a", 31002), Task("/site", "site.b", 31003, kill: true), Task("/db", "db.a", 31004, state: TaskState.Staging)],
        "external", LbConfig.Empty).Config;

    [Fact]
    public void RendersTheGoldenConfig()
    {
        var text = ConfigRenderer.Render(Sample(), Settings);
        Assert.Equal("""
            # Written by drover lb; changes here are overwritten.
            global
                master-worker
                stats socket /run/drover/haproxy.sock mode 600 level admin expose-fd listeners
                stats timeout 2m

            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                timeout http-keep-alive 10s
                retries 3
                option redispatch

            frontend drover_http
                bind 127.0.0.1:8088
                mode http
                option idle-close-on-response
                option forwardfor
                acl r0_path path /services/fibonacci
                acl r0_path path_beg /services/fibonacci/
                use_backend fib_0 if r0_path
                acl r1_host hdr(host),field(1,:) -i example.com www.example.com
                use_backend site_0 if r1_host

            frontend port_10001
                bind 127.0.0.1:10001
                mode http
                option idle-close-on-response
                default_backend site_0

            frontend port_10002
                bind 127.0.0.1:10002
                mode tcp
                default_backend db_0

            backend db_0
                mode tcp
                balance source
                hash-type consistent

            backend fib_0
                mode http
                balance roundrobin
                option httpchk GET /health
                http-request set-path %[path,regsub(^/services/fibonacci/?,/)]
                server fib.a 127.0.0.1:31001 check inter 2000

            backend site_0
                mode http
                balance leastconn
                cookie DROVER_SERVER insert indirect nocache
                server site.a 127.0.0.1:31002 cookie site.a
                server site.b 127.0.0.1:31003 cookie site.b weight 0

            """.Replace("\r\n", "\n"), text);
    }

    [Fact]
    public void MonitorFrontendOnlyWithAPort()
    {
        Assert.DoesNotContain(ConfigRenderer.MonitorFrontend, ConfigRenderer.Render(LbConfig.Empty, Settings));
        var text = ConfigRenderer.Render(LbConfig.Empty, Settings with { MonitorPort = 18999 });
        Assert.Contains("""

            frontend drover_monitor
                bind 127.0.0.1:18999
                mode http
                monitor-uri /drover/health

            """.Replace("\r\n", "\n"), text + "\n");
    }

    [Fact]
    public void SameConfigSameText() => Assert.Equal(ConfigRenderer.Render(Sample(), Settings), ConfigRenderer.Render(Sample(), Settings));

    [Fact(Timeout = 60000)]
    public async Task RealHaproxyAcceptsRenderedConfigs()
    {
        var dir = Directory.CreateTempSubdirectory("drover-lb-cfg");
        try
        {
            var plain = Settings with { StatsSocket = Path.Combine(dir.FullName, "admin.sock") };
            var monitored = plain with { MonitorPort = 18999 };
            foreach (var (name, config, settings) in new[] { ("sample", Sample(), plain), ("empty", LbConfig.Empty, plain), ("monitored", Sample(), monitored) })
            {
                var file = Path.Combine(dir.FullName, name + ".cfg");
                await File.WriteAllTextAsync(file, ConfigRenderer.Render(config, settings));
                var (code, output) = await RunAsync("haproxy", "-c", "-f", file);
                Assert.True(code == 0, $"haproxy -c rejected the {name} config:\n{output}");
                Assert.DoesNotContain("[WARNING]", output);
            }
        }
        finally { dir.Delete(recursive: true); }
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
