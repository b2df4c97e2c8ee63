using System.Text.Json;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Server.Reconcile;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Tests;

public class ReadinessTests
{
    private const string App = """
        {"id":"/rd","cmd":"v1","instances":2,"cpus":0.1,"mem":16,
         "portDefinitions":[{"port":0,"name":"http-api"}],
         "readinessChecks":[{"path":"/ready","intervalSeconds":2,"timeoutSeconds":1,"preserveLastResponse":true}]}
        """;

    /// <summary>Acts as the agent: the tasks run, with one readiness result each (or none).</summary>
    private static Task Report(TestServer t, string agent, IEnumerable<TaskAssignment> tasks, bool? ready) =>
        t.Client.ReportStatusAsync(agent, tasks.Select(x => new TaskStatusReport
        {
            TaskId = x.Spec.TaskId,
            AppId = x.Spec.AppId,
            State = "TASK_RUNNING",
            ReadinessCheckResults = ready is bool r
                ? [new ReadinessCheckResult
                {
                    Name = "readinessCheck", TaskId = x.Spec.TaskId, Ready = r,
                    LastResponse = new ReadinessLastResponse { Status = r ? 200 : 503, ContentType = "text/plain", Body = r ? "ok" : "warming up" },
                }]
                : [],
        }).ToList());

    private static async Task<List<JsonElement>> ReadinessOf(TestServer t)
    {
        var app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/rd"))).GetProperty("app");
        return app.TryGetProperty("readinessCheckResults", out var r) ? [.. r.EnumerateArray()] : [];
    }

    /// <summary>One full reconcile pass (deployment check and plan) on the current state, so "nothing happened" is a fact, not a timing.</summary>
    private static Task Pass(TestServer t) => t.Server.Services.GetRequiredService<ReconcileLoop>().PassAsync(CancellationToken.None);

    [Fact(Timeout = 60000)]
    public async Task AnUpgradeWithReadinessChecksKeepsOldTasksUntilTheNewOnesAreReadyThenCompletes()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        var created = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", App);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);

        // Agents get what they need to run the check: the definition and the name of each host port.
        var v1 = (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 2)).Tasks;
        Assert.All(v1, x =>
        {
            Assert.Equal(["http-api"], x.Spec.PortNames);
            var check = Assert.Single(x.Spec.ReadinessChecks);
            Assert.Equal("/ready", check.Path);
            Assert.True(check.PreserveLastResponse);
        });

        // The first deployment also waits for readiness.
        await Report(t, agent, v1, ready: false);
        await Pass(t);
        Assert.NotEqual("[]", await t.Http.GetStringAsync("/v2/deployments"));
        var notReady = await ReadinessOf(t);
        Assert.Equal(2, notReady.Count);
        Assert.All(notReady, r =>
        {
            Assert.False(r.GetProperty("ready").GetBoolean());
            Assert.Equal("readinessCheck", r.GetProperty("name").GetString());
            Assert.Equal(503, r.GetProperty("lastResponse").GetProperty("status").GetInt32());
            Assert.Equal("warming up", r.GetProperty("lastResponse").GetProperty("body").GetString());
        });
        await Report(t, agent, v1, ready: true);
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed once ready");

        // A later report without results (a restarted agent) does not make a ready task unready.
        await Report(t, agent, v1, ready: null);
        Assert.All(await ReadinessOf(t), r => Assert.True(r.GetProperty("ready").GetBoolean()));

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/rd", """{"cmd":"v2"}""");
        var upgradeId = put.Headers.GetValues("Marathon-Deployment-Id").Single();
        var during = await t.AssignmentsAsync(agent, x => x.Tasks.Count(y => y.Spec.Cmd == "v2") == 2);
        var v2 = during.Tasks.Where(x => x.Spec.Cmd == "v2").ToList();

        // New tasks run (and would count as healthy) but are not ready: old ones stay, the deployment goes on.
        await Report(t, agent, v2, ready: false);
        await Eventually.Get(() => ReadinessOf(t), rs => rs.Count(r => v2.Any(x => x.Spec.TaskId == r.GetProperty("taskId").GetString())) == 2,
            "not-ready results of the new tasks stored");
        await Pass(t);
        await Pass(t);
        var still = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        Assert.Equal(4, still.Tasks.Count);
        Assert.All(v1, old => Assert.Contains(still.Tasks, y => y.Spec.TaskId == old.Spec.TaskId && !y.Kill));
        var listed = await TestServer.JsonOf(await t.Http.GetAsync("/v2/deployments"));
        Assert.Equal(upgradeId, listed.EnumerateArray().Single().GetProperty("id").GetString());
        // the deployment shows the new tasks' readiness in its current action, as Marathon does
        var current = listed.EnumerateArray().Single().GetProperty("currentActions")[0].GetProperty("readinessCheckResults");
        Assert.Equal(v2.Select(x => x.Spec.TaskId).Order(), current.EnumerateArray().Select(r => r.GetProperty("taskId").GetString()!).Order());
        Assert.All(current.EnumerateArray(), r => Assert.False(r.GetProperty("ready").GetBoolean()));

        // Ready: the old tasks go, and once they are gone the deployment is done.
        await Report(t, agent, v2, ready: true);
        var after = await t.AssignmentsAsync(agent, x => v1.All(old => x.Tasks.Any(y => y.Spec.TaskId == old.Spec.TaskId && y.Kill)));
        Assert.All(v2, n => Assert.Contains(after.Tasks, y => y.Spec.TaskId == n.Spec.TaskId && !y.Kill));
        await t.Client.ReportStatusAsync(agent, v1.Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = "/rd", State = "TASK_KILLED" }).ToList());
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "upgrade finished");

        var final = await ReadinessOf(t);
        Assert.Equal(v2.Select(x => x.Spec.TaskId).Order(), final.Select(r => r.GetProperty("taskId").GetString()!).Order());
        Assert.All(final, r => Assert.Equal(200, r.GetProperty("lastResponse").GetProperty("status").GetInt32()));
        var app = await t.Client.GetAppAsync("/rd"); // the typed client reads the key too
        Assert.Equal(2, app.ReadinessCheckResults!.Count(r => r.Ready));
    }

    [Fact(Timeout = 30000)]
    public async Task AppsWithoutReadinessChecksHaveNoReadinessKey()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/plain","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1);
        Assert.Empty(a.Tasks[0].Spec.ReadinessChecks);
        await t.ReportAsync(agent, (a.Tasks[0].Spec.TaskId, "/plain", "TASK_RUNNING"));
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "deployed");
        var app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/plain"))).GetProperty("app");
        Assert.False(app.TryGetProperty("readinessCheckResults", out _));
        Assert.Equal(0, app.GetProperty("readinessChecks").GetArrayLength());
    }
}
