using System.Net;
using System.Text.Json;

namespace Drover.Server.Tests;

public class AppsApiTests
{
    [Fact(Timeout = 30000)]
    public async Task CreateReturns201WithMarathonShapeAndRejectsDuplicates()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/prod/web","cmd":"sleep 100","instances":2}""");
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.True(resp.Headers.Contains("Marathon-Deployment-Id"));
        var app = await TestServer.JsonOf(resp);
        Assert.Equal("/prod/web", app.GetProperty("id").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", app.GetProperty("version").GetString());
        Assert.Equal(10000, app.GetProperty("portDefinitions")[0].GetProperty("port").GetInt32());
        Assert.Equal(0, app.GetProperty("tasksRunning").GetInt32());
        Assert.Equal(JsonValueKind.Array, app.GetProperty("deployments").ValueKind);
        Assert.False(app.TryGetProperty("container", out _), "absent objects must be omitted, not null");

        var dup = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/prod/web","cmd":"sleep 1"}""");
        Assert.Equal(HttpStatusCode.Conflict, dup.StatusCode);
        Assert.Contains("already exists", (await TestServer.JsonOf(dup)).GetProperty("message").GetString());

        var other = await TestServer.JsonOf(await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/other","cmd":"sleep 1"}"""));
        Assert.Equal(10001, other.GetProperty("portDefinitions")[0].GetProperty("port").GetInt32());
    }

    [Fact(Timeout = 30000)]
    public async Task InvalidInputIs422NamingEachFieldAndWritesNothing()
    {
        await using var t = await TestServer.StartAsync();
        var before = t.Server.Services.GetService(typeof(StateWriter)) is StateWriter w ? w.Current.Index : -1;
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/Bad","cmd":"x","cpus":"many","constraints":[["hostname","SOMETIMES"]]}""");
        Assert.Equal((HttpStatusCode)422, resp.StatusCode);
        var body = await TestServer.JsonOf(resp);
        var paths = body.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("path").GetString()).ToList();
        Assert.Contains("/id", paths);
        Assert.Contains("/cpus", paths);
        Assert.Contains("/constraints(0)", paths);
        var after = ((StateWriter)t.Server.Services.GetService(typeof(StateWriter))!).Current.Index;
        Assert.Equal(before, after);

        var malformed = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/a", "cmd": """);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("Invalid JSON", (await TestServer.JsonOf(malformed)).GetProperty("message").GetString());

        var list = await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps"));
        Assert.Equal(0, list.GetProperty("apps").GetArrayLength());
    }

    [Fact(Timeout = 30000)]
    public async Task UnknownAppsAre404WithMessage()
    {
        await using var t = await TestServer.StartAsync();
        foreach (var (method, path) in new[] { ("GET", "/v2/apps/nope"), ("DELETE", "/v2/apps/nope"), ("GET", "/v2/apps/nope/tasks"), ("POST", "/v2/apps/nope/restart"), ("GET", "/v2/apps/nope/versions") })
        {
            var resp = await t.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
            Assert.Equal("App '/nope' does not exist", (await TestServer.JsonOf(resp)).GetProperty("message").GetString());
        }
    }

    [Fact(Timeout = 30000)]
    public async Task PutCreatesScalesUpdatesAndRollsBackAndDoubleSlashesWork()
    {
        await using var t = await TestServer.StartAsync();
        var created = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps//web", """{"cmd":"sleep 100","instances":1,"labels":{"tier":"front"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var v1 = (await TestServer.JsonOf(created)).GetProperty("version").GetString();

        var scaled = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/web?force=True", """{"instances":3}""");
        Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
        var app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps//web"))).GetProperty("app");
        Assert.Equal(3, app.GetProperty("instances").GetInt32());
        Assert.Equal("sleep 100", app.GetProperty("cmd").GetString());
        Assert.Equal(v1, app.GetProperty("versionInfo").GetProperty("lastConfigChangeAt").GetString());
        Assert.NotEqual(v1, app.GetProperty("versionInfo").GetProperty("lastScalingAt").GetString());

        // no agent runs the tasks, so the scale deployment is still running: a change needs force
        var locked = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/web", """{"cmd":"sleep 200"}""");
        Assert.Equal(HttpStatusCode.Conflict, locked.StatusCode);
        var lockBody = await TestServer.JsonOf(locked);
        Assert.Contains("locked by one or more deployments", lockBody.GetProperty("message").GetString());
        Assert.Equal(1, lockBody.GetProperty("deployments").GetArrayLength());
        await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/web?force=true", """{"cmd":"sleep 200"}""");
        app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/web"))).GetProperty("app");
        Assert.Equal("sleep 200", app.GetProperty("cmd").GetString());
        Assert.Equal(3, app.GetProperty("instances").GetInt32()); // partial update keeps other fields
        Assert.Equal("front", app.GetProperty("labels").GetProperty("tier").GetString());

        var versions = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/web/versions"))).GetProperty("versions");
        Assert.Equal(3, versions.GetArrayLength());
        var old = await TestServer.JsonOf(await t.Http.GetAsync($"/v2/apps/web/versions/{v1}"));
        Assert.Equal("sleep 100", old.GetProperty("cmd").GetString());

        var rollback = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/web?force=true", $$"""{"version":"{{v1}}"}""");
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/web"))).GetProperty("app");
        Assert.Equal("sleep 100", app.GetProperty("cmd").GetString());
        Assert.Equal(1, app.GetProperty("instances").GetInt32());
    }

    [Fact(Timeout = 30000)]
    public async Task ListFiltersByIdCmdAndLabel()
    {
        await using var t = await TestServer.StartAsync();
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/a/web","cmd":"python3 -m http.server","labels":{"env":"prod","tier":"front"}}""");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/b/db","cmd":"mysqld","labels":{"env":"test"}}""");
        async Task<string[]> Ids(string q) => (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps" + q))).GetProperty("apps").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(["/a/web"], await Ids("?id=WEB"));
        Assert.Equal(["/b/db"], await Ids("?cmd=mysql"));
        Assert.Equal(["/a/web"], await Ids("?label=env==prod"));
        Assert.Equal(["/b/db"], await Ids("?label=env!=prod"));
        Assert.Equal(["/a/web", "/b/db"], await Ids("?label=env%20in%20(prod,test)"));
        Assert.Equal(["/a/web"], await Ids("?label=tier"));
    }

    [Fact(Timeout = 30000)]
    public async Task PingInfoAndLeader()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal("pong", await t.Http.GetStringAsync("/ping"));
        var info = await TestServer.JsonOf(await t.Http.GetAsync("/v2/info"));
        Assert.Equal(JsonValueKind.Object, info.GetProperty("marathon_config").ValueKind);
        Assert.Equal(JsonValueKind.Object, info.GetProperty("zookeeper_config").ValueKind);
        var leader = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/leader"))).GetProperty("leader").GetString();
        Assert.Equal($"127.0.0.1:{t.Server.Url.Port}", leader);
    }
}
