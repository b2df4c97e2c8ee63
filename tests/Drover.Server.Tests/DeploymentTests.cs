using System.Net;
using System.Text.Json;
using Drover.Api.Agents;

namespace Drover.Server.Tests;

public class DeploymentTests
{
    private static Task ReportRunning(TestServer t, string agent, IEnumerable<TaskAssignment> tasks) =>
        t.Client.ReportStatusAsync(agent, tasks.Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = x.Spec.AppId, State = "TASK_RUNNING" }).ToList());

    [Fact(Timeout = 30000)]
    public async Task ADeploymentIsListedUntilItsTasksRunThenSucceedsWithEvents()
    {
        await using var t = await TestServer.StartAsync();
        await using var sse = await SseClient.ConnectAsync(t.Server.Url);
        var agent = await t.RegisterAgentAsync("host-a");
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/d1","cmd":"x","instances":2,"cpus":0.1,"mem":16}""");
        var deploymentId = resp.Headers.GetValues("Marathon-Deployment-Id").Single();
        var list = await TestServer.JsonOf(await t.Http.GetAsync("/v2/deployments"));
        var d = list.EnumerateArray().Single();
        Assert.Equal(deploymentId, d.GetProperty("id").GetString());
        Assert.Equal("/d1", d.GetProperty("affectedApps")[0].GetString());
        Assert.Equal("StartApplication", d.GetProperty("steps")[0].GetProperty("actions")[0].GetProperty("action").GetString());
        Assert.Equal(1, d.GetProperty("currentStep").GetInt32());
        var app = await t.Client.GetAppAsync("/d1");
        Assert.Equal(deploymentId, Assert.Single(app.Deployments).Id);

        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count == 2);
        await ReportRunning(t, agent, a.Tasks);
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "deployment finished");
        var info = await sse.WaitForAsync(e => e.Type == "deployment_info", "deployment_info");
        Assert.Equal(deploymentId, info.Data.GetProperty("plan").GetProperty("id").GetString());
        Assert.Equal("/", info.Data.GetProperty("plan").GetProperty("target").GetProperty("id").GetString());
        await sse.WaitForAsync(e => e.Type == "deployment_step_success", "step success");
        var done = await sse.WaitForAsync(e => e.Type == "deployment_success", "deployment_success");
        Assert.Equal(deploymentId, done.Data.GetProperty("id").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", done.Data.GetProperty("timestamp").GetString());
        await sse.WaitForAsync(e => e.Type == "status_update_event" && e.Data.GetProperty("taskStatus").GetString() == "TASK_RUNNING", "running status");
        await sse.WaitForAsync(e => e.Type == "api_post_event" && e.Data.GetProperty("appDefinition").GetProperty("id").GetString() == "/d1", "api post");
        Assert.All(sse.RawLines.Where(l => l.StartsWith("data: ")), l => Assert.DoesNotContain("\n", l));
    }

    [Fact(Timeout = 60000)]
    public async Task AnUpgradeThatNeverBecomesHealthyFailsAtTheDeadlineAndRevertsWhileTheOldVersionKeepsServing()
    {
        await using var t = await TestServer.StartAsync();
        await using var sse = await SseClient.ConnectAsync(t.Server.Url, "?event_type=deployment_failed&event_type=deployment_success");
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/up","cmd":"v1","instances":2,"cpus":0.1,"mem":16}""");
        var v1 = await t.AssignmentsAsync(agent, x => x.Tasks.Count == 2);
        await ReportRunning(t, agent, v1.Tasks);
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed");

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/up",
            """{"cmd":"v2","labels":{"DROVER_PROGRESS_DEADLINE_SECONDS":"1","DROVER_AUTO_REVERT":"true"}}""");
        var upgradeId = put.Headers.GetValues("Marathon-Deployment-Id").Single();
        // v2 tasks are started but never report running; min health 1 keeps both v1 tasks alive
        var during = await t.AssignmentsAsync(agent, x => x.Tasks.Count(y => y.Spec.Cmd == "v2") >= 1);
        Assert.Equal(2, during.Tasks.Count(y => y.Spec.Cmd == "v1" && !y.Kill));

        var failed = await sse.WaitForAsync(e => e.Type == "deployment_failed", "deployment_failed at the deadline", TimeSpan.FromSeconds(30));
        Assert.Equal(upgradeId, failed.Data.GetProperty("id").GetString());
        Assert.Contains("progress deadline", failed.Data.GetProperty("reason").GetString());
        var app = await Eventually.Get(() => t.Client.GetAppAsync("/up"), a => a.Cmd == "v1", "reverted to v1");
        Assert.False(app.Labels.ContainsKey("DROVER_AUTO_REVERT"));
        // the revert kills the v2 tasks; the v1 tasks were never touched
        var after = await t.AssignmentsAsync(agent, x => x.Tasks.Where(y => y.Spec.Cmd == "v2").All(y => y.Kill));
        Assert.Equal(2, after.Tasks.Count(y => y.Spec.Cmd == "v1" && !y.Kill));
        Assert.All(v1.Tasks, old => Assert.Contains(after.Tasks, y => y.Spec.TaskId == old.Spec.TaskId && !y.Kill));
    }

    [Fact(Timeout = 30000)]
    public async Task DeletingADeploymentRevertsItAndForceOnlyStopsIt()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/rv","cmd":"v1","instances":1,"cpus":0.1,"mem":16}""");
        await ReportRunning(t, agent, (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1)).Tasks);
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed");

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/rv", """{"cmd":"v2"}""");
        var id = put.Headers.GetValues("Marathon-Deployment-Id").Single();
        var del = await t.Http.DeleteAsync($"/v2/deployments/{id}");
        Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        var revertId = (await TestServer.JsonOf(del)).GetProperty("deploymentId").GetString();
        Assert.NotEqual(id, revertId);
        Assert.Equal("v1", (await t.Client.GetAppAsync("/rv")).Cmd);
        var versions = await t.Client.ListVersionsAsync("/rv");
        Assert.Equal(3, versions.Count); // v1, v2 and the revert (a new version with v1's config)

        var put2 = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/rv?force=true", """{"cmd":"v3"}""");
        var id2 = put2.Headers.GetValues("Marathon-Deployment-Id").Single();
        var forced = await t.Http.DeleteAsync($"/v2/deployments/{id2}?force=true");
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        Assert.Equal("v3", (await t.Client.GetAppAsync("/rv")).Cmd); // stopped where it was, no revert
        Assert.Equal("[]", await t.Http.GetStringAsync("/v2/deployments"));
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.DeleteAsync($"/v2/deployments/{id2}")).StatusCode);
    }

    [Theory(Timeout = 60000)]
    [InlineData(1.0, 1.0)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.0, 0.0)]
    [InlineData(0.75, 0.25)]
    public async Task RollingUpgradeKeepsCapacityBoundsAtEveryStep(double minHealth, double overCapacity)
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a", cpus: 16, mem: 16384);
        var strategy = $$"""{"minimumHealthCapacity":{{minHealth.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"maximumOverCapacity":{{overCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""";
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", $$"""{"id":"/roll","cmd":"v1","instances":4,"cpus":0.1,"mem":16,"upgradeStrategy":{{strategy}}}""");
        var v1 = (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 4)).Tasks;
        await ReportRunning(t, agent, v1);
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed");

        await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/roll", """{"cmd":"v2"}""");
        var minRunning = (int)Math.Ceiling(4 * minHealth);
        var maxTotal = (int)Math.Floor(4 * (1 + overCapacity));
        var end = DateTime.UtcNow.AddSeconds(40);
        string? fp = null;
        var running = v1.Select(x => x.Spec.TaskId).ToHashSet();
        while (true)
        {
            Assert.True(DateTime.UtcNow < end, "upgrade did not finish");
            var a = await t.Client.GetAssignmentsAsync(agent, fp, TimeSpan.FromSeconds(2));
            fp = a.Fingerprint;
            // the agent's view at this moment: bounds must hold (a kill request still counts until the task is gone)
            var alive = a.Tasks.Count;
            var serving = a.Tasks.Count(x => !x.Kill && running.Contains(x.Spec.TaskId));
            // Marathon lets 1/0 go one instance over, or it could never make progress
            var allowed = minHealth == 1 && overCapacity == 0 ? maxTotal + 1 : maxTotal;
            Assert.True(alive <= allowed, $"{alive} tasks exceed the over-capacity bound {allowed}");
            Assert.True(serving >= minRunning, $"only {serving} serving, below {minRunning}");
            // act like an agent: acknowledge kills, start new tasks one at a time
            var kills = a.Tasks.Where(x => x.Kill).ToList();
            if (kills.Count > 0)
            {
                await t.Client.ReportStatusAsync(agent, kills.Select(k => new TaskStatusReport { TaskId = k.Spec.TaskId, AppId = "/roll", State = "TASK_KILLED" }).ToList());
                foreach (var k in kills) running.Remove(k.Spec.TaskId);
                continue;
            }
            var fresh = a.Tasks.FirstOrDefault(x => !running.Contains(x.Spec.TaskId));
            if (fresh is not null)
            {
                await ReportRunning(t, agent, [fresh]);
                running.Add(fresh.Spec.TaskId);
                continue;
            }
            if (a.Tasks.Count == 4 && a.Tasks.All(x => x.Spec.Cmd == "v2")) break;
        }
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "upgrade deployment finished");
    }
}
