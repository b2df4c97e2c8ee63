using Drover.Agent.Tests.Infrastructure;
using Drover.Server.Discovery;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>External services through the Consul agent API, with the server running their checks.</summary>
public class ConsulAgentTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static Task<string?> StatusEventually(ConsulServer c, string service, string id, string expected) =>
        Eventually.Get(() => c.StatusAsync(service, id), s => s == expected, $"{id} becomes {expected}", Deadline);

    [Fact(Timeout = 30000)]
    public async Task Register_lowercase_ttl_pass_warn_fail_with_get_and_deregister()
    {
        await using var c = await ConsulServer.StartAsync();
        // python-consul's exact payload: lowercase keys, port omitted when 0
        await c.RegisterAsync("""{"name":"redis","id":"redis1","tags":["master"],"address":"10.0.0.5","port":6379,"check":{"ttl":"15s"},"enabletagoverride":true}""");

        var services = await c.GetJsonAsync("/v1/agent/services");
        var r = services.GetProperty("redis1");
        Assert.Equal("redis", r.GetProperty("Service").GetString());
        Assert.Equal(6379, r.GetProperty("Port").GetInt32());
        Assert.True(r.GetProperty("EnableTagOverride").GetBoolean());
        var checks = await c.GetJsonAsync("/v1/agent/checks");
        var check = checks.GetProperty("service:redis1");
        Assert.Equal("critical", check.GetProperty("Status").GetString()); // TTL checks start critical
        Assert.Equal("ttl", check.GetProperty("Type").GetString());
        Assert.Equal("Service 'redis' check", check.GetProperty("Name").GetString());

        var catalog = await c.GetJsonAsync("/v1/catalog/service/redis");
        Assert.Equal("10.0.0.5", catalog[0].GetProperty("ServiceAddress").GetString());
        Assert.Equal(["master"], catalog[0].GetProperty("ServiceTags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal(JsonValueKind.Array, (await c.GetJsonAsync("/v1/catalog/service/nope")).ValueKind);
        Assert.Equal(["master"], (await c.GetJsonAsync("/v1/catalog/services")).GetProperty("redis").EnumerateArray().Select(t => t.GetString()!).ToArray());

        using (var pass = await c.Http.GetAsync("/v1/agent/check/pass/service:redis1?note=all+good")) Assert.Equal(HttpStatusCode.OK, pass.StatusCode);
        Assert.Equal("passing", await c.StatusAsync("redis", "redis1"));
        Assert.Equal("all good", await c.CheckOutputAsync("service:redis1"));
        Assert.Equal(1, (await c.GetJsonAsync("/v1/health/service/redis?passing")).GetArrayLength());

        using (var warn = await c.Http.GetAsync("/v1/agent/check/warn/service:redis1")) Assert.Equal(HttpStatusCode.OK, warn.StatusCode);
        Assert.Equal("warning", await c.StatusAsync("redis", "redis1"));
        Assert.Equal(0, (await c.GetJsonAsync("/v1/health/service/redis?passing")).GetArrayLength()); // ?passing drops warning
        Assert.Equal(0, (await c.GetJsonAsync("/v1/health/service/redis?passing=1")).GetArrayLength());
        Assert.Equal(1, (await c.GetJsonAsync("/v1/health/service/redis?passing=false")).GetArrayLength());
        Assert.Single((await c.GetJsonAsync("/v1/health/state/warning")).EnumerateArray());

        using (var fail = await c.PutAsync("/v1/agent/check/fail/service:redis1")) Assert.Equal(HttpStatusCode.OK, fail.StatusCode);
        Assert.Equal("critical", await c.StatusAsync("redis", "redis1"));
        var healthChecks = await c.GetJsonAsync("/v1/health/checks/redis");
        Assert.Equal("critical", healthChecks[0].GetProperty("Status").GetString());

        using (var unknown = await c.Http.GetAsync("/v1/agent/check/pass/nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("Unknown check ID", await unknown.Content.ReadAsStringAsync());
        }

        using (var dereg = await c.Http.GetAsync("/v1/agent/service/deregister/redis1")) Assert.Equal(HttpStatusCode.OK, dereg.StatusCode);
        Assert.Equal(0, (await c.GetJsonAsync("/v1/health/service/redis")).GetArrayLength());
        Assert.False((await c.GetJsonAsync("/v1/agent/checks")).TryGetProperty("service:redis1", out _));
        Assert.False((await c.GetJsonAsync("/v1/catalog/services")).TryGetProperty("redis", out _));
        using (var again = await c.PutAsync("/v1/agent/service/deregister/redis1")) Assert.Equal(HttpStatusCode.OK, again.StatusCode); // unknown: no-op
    }

    [Fact(Timeout = 30000)]
    public async Task Reregistering_to_change_tags_keeps_check_status_and_replace_existing_checks_drops_old_ones()
    {
        await using var c = await ConsulServer.StartAsync();
        await c.RegisterAsync("""{"Name":"db","ID":"db1","Tags":["slave"],"Checks":[{"TTL":"30s"},{"CheckID":"mine","Name":"custom","TTL":"30s","Status":"passing"}]}""");
        var checks = await c.GetJsonAsync("/v1/agent/checks");
        Assert.True(checks.TryGetProperty("service:db1:1", out _));
        Assert.Equal("passing", checks.GetProperty("mine").GetProperty("Status").GetString()); // initial status given
        using (await c.PutAsync("/v1/agent/check/pass/service:db1:1")) { }
        Assert.Equal("passing", await c.StatusAsync("db", "db1"));

        await c.RegisterAsync("""{"Name":"db","ID":"db1","Tags":["master"],"Checks":[{"TTL":"30s"},{"CheckID":"mine","Name":"custom","TTL":"30s"}]}""");
        Assert.Equal("passing", await c.StatusAsync("db", "db1")); // a tag change does not flap the instance
        Assert.Equal(["master"], (await c.GetJsonAsync("/v1/catalog/service/db?tag=master"))[0].GetProperty("ServiceTags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal(0, (await c.GetJsonAsync("/v1/catalog/service/db?tag=slave")).GetArrayLength());

        await c.RegisterAsync("""{"Name":"db","ID":"db1","Check":{"CheckID":"mine","TTL":"30s"}}""");
        Assert.True((await c.GetJsonAsync("/v1/agent/checks")).TryGetProperty("service:db1:1", out _)); // kept without replace-existing-checks
        using (var r = await c.PutAsync("/v1/agent/service/register?replace-existing-checks", """{"Name":"db","ID":"db1","Check":{"CheckID":"mine","TTL":"30s"}}"""))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var after = await c.GetJsonAsync("/v1/agent/checks");
        Assert.False(after.TryGetProperty("service:db1:1", out _));
        Assert.True(after.TryGetProperty("mine", out _));
    }

    [Fact(Timeout = 30000)]
    public async Task Ttl_expires_to_critical_after_the_ttl_without_a_pass()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var c = await ConsulServer.StartAsync(time);
        await c.RegisterAsync("""{"Name":"svc","ID":"s1","Check":{"TTL":"10s"}}""");
        using (await c.PutAsync("/v1/agent/check/pass/service:s1")) { }
        Assert.Equal("passing", await c.StatusAsync("svc", "s1"));

        var advanced = TimeSpan.Zero;
        await Eventually.Get(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            return await c.StatusAsync("svc", "s1");
        }, s => s == "critical", "TTL expiry", Deadline);
        Assert.True(advanced >= TimeSpan.FromSeconds(10), $"expired after {advanced}");
        Assert.Equal("TTL expired", await c.CheckOutputAsync("service:s1"));

        // a pass brings it back, and restarts the clock
        using (await c.PutAsync("/v1/agent/check/pass/service:s1")) { }
        Assert.Equal("passing", await c.StatusAsync("svc", "s1"));
    }

    [Fact(Timeout = 30000)]
    public async Task A_ttl_deadline_is_stored_with_each_pass_and_a_restarted_server_holds_to_it()
    {
        var dir = Directory.CreateTempSubdirectory("drover-ttl-");
        try
        {
            var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var time = new ManualTimeProvider(t0);
            await using (var c = await ConsulServer.StartAsync(time, dataDir: dir.FullName))
            {
                await c.RegisterAsync("""{"Name":"svc","ID":"s1","Check":{"TTL":"10s"}}""");
                using (await c.PutAsync("/v1/agent/check/pass/service:s1")) { }
                var stored = c.Writer.Current.Get(Schema.Checks, "service:s1")!;
                Assert.Equal("2026-01-01T00:00:10.000Z", stored.TtlExpiresAt);
            }
            // the next server (a restart here; a new leader on etcd) starts 11 s later: the stored deadline has passed
            time.Advance(TimeSpan.FromSeconds(11));
            await using var next = await ConsulServer.StartAsync(time, dataDir: dir.FullName);
            Assert.Equal("critical", await Eventually.Get(() => next.StatusAsync("svc", "s1"), s => s == "critical", "expired at the stored deadline", Deadline));
            Assert.Equal("TTL expired", await next.CheckOutputAsync("service:s1"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact(Timeout = 30000)]
    public async Task Deregister_critical_service_after_removes_a_service_that_stays_critical()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var c = await ConsulServer.StartAsync(time);
        await c.RegisterAsync("""{"Name":"gone","ID":"g1","Check":{"TTL":"5s","DeregisterCriticalServiceAfter":"1m"}}""");
        await c.RegisterAsync("""{"Name":"kept","ID":"k1","Check":{"TTL":"5s","Status":"passing","deregister_critical_service_after":"1m"}}""");

        var advanced = TimeSpan.Zero;
        await Eventually.Get(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            advanced += TimeSpan.FromSeconds(5);
            using (await c.PutAsync("/v1/agent/check/pass/service:k1")) { } // k1 keeps passing its TTL
            return (await c.GetJsonAsync("/v1/agent/services")).TryGetProperty("g1", out _);
        }, present => !present, "g1 deregistered", Deadline);
        Assert.True(advanced >= TimeSpan.FromMinutes(1), $"removed after {advanced}");
        Assert.True((await c.GetJsonAsync("/v1/agent/services")).TryGetProperty("k1", out _));
    }

    [Fact(Timeout = 30000)]
    public async Task Http_check_maps_2xx_429_and_errors()
    {
        await using var web = new TinyHttpServer();
        await using var c = await ConsulServer.StartAsync();
        await c.RegisterAsync($$$"""{"name":"web","id":"w1","port":80,"check":{"http":"{{{web.Url}}}","interval":"1s","timeout":"2s"}}""");
        await StatusEventually(c, "web", "w1", "passing");
        Assert.Contains("200", await c.CheckOutputAsync("service:w1"));
        web.Status = 429;
        await StatusEventually(c, "web", "w1", "warning");
        web.Status = 503;
        await StatusEventually(c, "web", "w1", "critical");
        web.Status = 204;
        await StatusEventually(c, "web", "w1", "passing");
    }

    [Fact(Timeout = 30000)]
    public async Task Tcp_check_passes_on_connect_and_fails_on_a_closed_port()
    {
        using var open = new TcpListener(IPAddress.Loopback, 0);
        open.Start();
        var openPort = ((IPEndPoint)open.LocalEndpoint).Port;
        int closedPort;
        using (var tmp = new TcpListener(IPAddress.Loopback, 0)) { tmp.Start(); closedPort = ((IPEndPoint)tmp.LocalEndpoint).Port; }
        await using var c = await ConsulServer.StartAsync();
        await c.RegisterAsync($$$"""{"Name":"tcp","ID":"up","Check":{"TCP":"127.0.0.1:{{{openPort}}}","Interval":"1s"}}""");
        await c.RegisterAsync($$$"""{"Name":"tcp","ID":"down","Check":{"TCP":"127.0.0.1:{{{closedPort}}}","Interval":"1s","Status":"passing"}}""");
        await StatusEventually(c, "tcp", "up", "passing");
        await StatusEventually(c, "tcp", "down", "critical");
        Assert.Contains("dial tcp", await c.CheckOutputAsync("service:down"));
    }

    [Fact(Timeout = 30000)]
    public async Task Script_check_exit_0_1_2_is_passing_warning_critical()
    {
        await using var c = await ConsulServer.StartAsync(scripts: true);
        await c.RegisterAsync("""{"Name":"s","ID":"zero","Check":{"Args":["/bin/sh","-c","echo fine; exit 0"],"Interval":"1s"}}""");
        await c.RegisterAsync("""{"Name":"s","ID":"one","Check":{"Args":["/bin/sh","-c","echo more containers than desired; exit 1"],"Interval":"1s","Status":"passing"}}""");
        await c.RegisterAsync("""{"name":"s","id":"two","check":{"script":"exit 2","interval":"1s","Status":"passing"}}""");
        await StatusEventually(c, "s", "zero", "passing");
        await StatusEventually(c, "s", "one", "warning");
        await StatusEventually(c, "s", "two", "critical");
        Assert.Equal("fine\n", await c.CheckOutputAsync("service:zero"));
        Assert.Contains("more containers", await c.CheckOutputAsync("service:one"));
    }

    [Fact(Timeout = 30000)]
    public async Task Script_checks_are_refused_unless_enabled()
    {
        await using var c = await ConsulServer.StartAsync();
        using var resp = await c.PutAsync("/v1/agent/service/register", """{"Name":"s","Check":{"Args":["/bin/true"],"Interval":"10s"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Contains("Scripts are disabled", await resp.Content.ReadAsStringAsync());
        Assert.Empty((await c.GetJsonAsync("/v1/agent/services")).EnumerateObject());
    }

    [Fact(Timeout = 30000)]
    public async Task Blocking_health_query_wakes_on_a_change_ignores_unrelated_writes_and_times_out()
    {
        await using var c = await ConsulServer.StartAsync();
        await c.RegisterAsync("""{"Name":"api","ID":"api1","Check":{"TTL":"30s"}}""");
        using var first = await c.Http.GetAsync("/v1/health/service/api");
        var index = ConsulServer.Index(first);

        var sw = Stopwatch.StartNew();
        using (var timedOut = await c.Http.GetAsync($"/v1/health/service/api?index={index}&wait=1s"))
        {
            Assert.Equal(index, ConsulServer.Index(timedOut));
        }
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(950), $"returned after {sw.Elapsed}");

        sw.Restart();
        var unrelated = c.Http.GetAsync($"/v1/health/service/api?index={index}&wait=1s");
        using (await c.PutAsync("/v1/kv/noise", "x")) { } // not a catalog change
        await c.RegisterAsync("""{"Name":"other","ID":"o1"}"""); // another service
        using (var r = await unrelated.WaitAsync(TimeSpan.FromSeconds(10))) Assert.Equal(index, ConsulServer.Index(r));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(950), $"woken after {sw.Elapsed}");

        var blocked = c.Http.GetAsync($"/v1/health/service/api?passing&index={index}&wait=30s");
        using (await c.PutAsync("/v1/agent/check/pass/service:api1")) { }
        using var woke = await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ConsulServer.Index(woke) > index);
        var list = JsonDocument.Parse(await woke.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("api1", list[0].GetProperty("Service").GetProperty("ID").GetString());
    }

    [Fact(Timeout = 30000)]
    public async Task Service_and_node_maintenance_add_and_remove_a_critical_check()
    {
        await using var c = await ConsulServer.StartAsync();
        await c.RegisterAsync("""{"Name":"m","ID":"m1","Check":{"TTL":"30s","Status":"passing"}}""");
        Assert.Equal("passing", await c.StatusAsync("m", "m1"));
        using (var on = await c.PutAsync("/v1/agent/service/maintenance/m1?enable=True&reason=upgrade")) Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        Assert.Equal("critical", await c.StatusAsync("m", "m1"));
        Assert.Equal("upgrade", (await c.GetJsonAsync("/v1/agent/checks")).GetProperty("_service_maintenance:m1").GetProperty("Notes").GetString());
        using (var off = await c.PutAsync("/v1/agent/service/maintenance/m1?enable=False")) Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.Equal("passing", await c.StatusAsync("m", "m1"));
        using (var unknown = await c.PutAsync("/v1/agent/service/maintenance/nope?enable=true")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var bad = await c.PutAsync("/v1/agent/service/maintenance/m1")) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        using (var node = await c.PutAsync("/v1/agent/maintenance?enable=true")) Assert.Equal(HttpStatusCode.OK, node.StatusCode);
        Assert.Equal("critical", await c.StatusAsync("m", "m1")); // a node check applies to every service on the node
        using (await c.PutAsync("/v1/agent/maintenance?enable=false")) { }
        Assert.Equal("passing", await c.StatusAsync("m", "m1"));
    }
}
