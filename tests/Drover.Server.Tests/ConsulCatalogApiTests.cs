using System.Net;
using System.Text.Json;
using Drover.Api.Agents;
using Drover.Core.Cluster;

namespace Drover.Server.Tests;

/// <summary>App tasks appear in the Consul catalog and health API, driven through the real agent protocol.</summary>
public class ConsulCatalogApiTests
{
    private static async Task<List<TaskAssignment>> RunningAsync(TestServer t, string agentId, string appId, int count)
    {
        var a = await t.AssignmentsAsync(agentId, x => x.Tasks.Count(y => y.Spec.AppId == appId && !y.Kill) >= count);
        var tasks = a.Tasks.Where(y => y.Spec.AppId == appId && !y.Kill).ToList();
        await t.ReportAsync(agentId, tasks.Select(x => (x.Spec.TaskId, appId, "TASK_RUNNING")).ToArray());
        return tasks;
    }

    private static async Task<JsonElement> Get(TestServer t, string path)
    {
        using var resp = await t.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        return JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact(Timeout = 30000)]
    public async Task Running_tasks_are_service_instances_with_health_tags_and_runtime_tag_changes()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """
            {"id":"/prod/redis","cmd":"x","instances":2,"cpus":0.1,"mem":16,
             "labels":{"DROVER_TAGS":"slave","DROVER_FAILOVER":"master,slave"},
             "healthChecks":[{"protocol":"TCP","gracePeriodSeconds":5,"intervalSeconds":1}]}
            """);
        var tasks = await RunningAsync(t, agent, "/prod/redis", 2);
        var (m, s) = (tasks[0].Spec.TaskId, tasks[1].Spec.TaskId);

        var catalog = await Eventually.Get(() => Get(t, "/v1/catalog/service/redis-prod"), l => l.GetArrayLength() == 2, "two instances");
        var row = catalog.EnumerateArray().Single(e => e.GetProperty("ServiceID").GetString() == m);
        Assert.Equal("host-a", row.GetProperty("Node").GetString());
        Assert.Equal("127.0.0.1", row.GetProperty("Address").GetString()); // the agent endpoint's host
        Assert.Equal(tasks[0].Spec.Ports[0], row.GetProperty("ServicePort").GetInt32());
        Assert.Equal("/prod/redis", row.GetProperty("ServiceMeta").GetProperty("drover_app_id").GetString());

        // no health result yet (grace period): critical, so ?passing has nobody
        Assert.Equal(0, (await Get(t, "/v1/health/service/redis-prod?passing")).GetArrayLength());
        await t.Client.ReportStatusAsync(agent, [
            new TaskStatusReport { TaskId = m, AppId = "/prod/redis", State = "TASK_RUNNING", HealthCheckResults = [new HealthCheckResult { Alive = true, Status = "passing" }] },
            new TaskStatusReport { TaskId = s, AppId = "/prod/redis", State = "TASK_RUNNING", HealthCheckResults = [new HealthCheckResult { Alive = false, Status = "critical", LastFailureCause = "refused" }] }]);
        var passing = await Eventually.Get(() => Get(t, "/v1/health/service/redis-prod?passing"), l => l.GetArrayLength() == 1, "one passing");
        Assert.Equal(m, passing[0].GetProperty("Service").GetProperty("ID").GetString());
        Assert.Equal(["serfHealth", $"service:{m}"], passing[0].GetProperty("Checks").EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()!).ToArray());
        var healthChecks = await Get(t, "/v1/health/checks/redis-prod");
        Assert.Contains(healthChecks.EnumerateArray(), c => c.GetProperty("ServiceID").GetString() == s && c.GetProperty("Status").GetString() == "critical" && c.GetProperty("Output").GetString() == "refused");

        // runtime tags: promote one instance to master
        using (var put = await t.SendJsonAsync(HttpMethod.Put, $"/v1/drover/tasks/{m}/tags", """["master"]"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var body = await TestServer.JsonOf(put);
            Assert.Equal("redis-prod", body.GetProperty("service").GetString());
            Assert.True(body.GetProperty("overridden").GetBoolean());
        }
        var masters = await Get(t, "/v1/catalog/service/redis-prod?tag=master");
        Assert.Equal(m, masters.EnumerateArray().Single().GetProperty("ServiceID").GetString());
        Assert.Equal(["master", "slave"], (await Get(t, "/v1/catalog/services")).GetProperty("redis-prod").EnumerateArray().Select(x => x.GetString()!).ToArray());
        using (var del = await t.Http.DeleteAsync($"/v1/drover/tasks/{m}/tags")) Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        Assert.Equal(0, (await Get(t, "/v1/catalog/service/redis-prod?tag=master")).GetArrayLength());
        using (var missing = await t.SendJsonAsync(HttpMethod.Put, "/v1/drover/tasks/nope/tags", """["x"]""")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var bad = await t.SendJsonAsync(HttpMethod.Put, $"/v1/drover/tasks/{m}/tags", """{"tags":1}""")) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // nodes: the agent and the server's own node
        var nodes = await Get(t, "/v1/catalog/nodes");
        Assert.Contains(nodes.EnumerateArray(), n => n.GetProperty("Node").GetString() == "host-a");
        var node = await Get(t, "/v1/catalog/node/host-a");
        Assert.Equal(2, node.GetProperty("Services").EnumerateObject().Count());
        using (var unknownNode = await t.Http.GetAsync("/v1/catalog/node/nope")) Assert.Equal("null", await unknownNode.Content.ReadAsStringAsync());
        Assert.Equal($"\"127.0.0.1:{t.Server.Url.Port}\"", (await Get(t, "/v1/status/leader")).GetRawText());
        Assert.Single((await Get(t, "/v1/status/peers")).EnumerateArray());

        // a killed task leaves the catalog
        await t.ReportAsync(agent, (s, "/prod/redis", "TASK_KILLED"));
        await Eventually.Get(() => Get(t, "/v1/catalog/service/redis-prod"), l => l.EnumerateArray().All(e => e.GetProperty("ServiceID").GetString() != s), "killed task gone");
    }

    [Fact(Timeout = 30000)]
    public async Task Catalog_service_watch_yields_only_on_catalog_changes()
    {
        await using var t = await TestServer.StartAsync();
        var catalog = (Discovery.CatalogService)t.Server.Services.GetService(typeof(Discovery.CatalogService))!;
        var start = catalog.Current;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var watch = catalog.WatchAsync(start.Index, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watch.MoveNextAsync().AsTask();
        using (await t.Http.PutAsync("/v1/kv/noise", new StringContent("x"))) { }
        Assert.False(next.IsCompleted); // a KV write is not a catalog change
        using (await t.Http.PutAsync("/v1/agent/service/register", new StringContent("""{"Name":"ext","Port":1}"""))) { }
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(watch.Current.Instances, i => i.Service == "ext");
        Assert.True(watch.Current.Index > start.Index);
    }
}
