using System.Net;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;

namespace Drover.Server.Tests;

/// <summary>The server's scheduling loop driven through the real agent protocol, with the test acting as agents.</summary>
public class TaskLifecycleTests
{
    private static async Task<List<TaskAssignment>> RunningAsync(TestServer t, string agentId, string appId, int count)
    {
        var a = await t.AssignmentsAsync(agentId, x => x.Tasks.Count(y => y.Spec.AppId == appId && !y.Kill) >= count);
        var tasks = a.Tasks.Where(y => y.Spec.AppId == appId && !y.Kill).ToList();
        await t.ReportAsync(agentId, tasks.Select(x => (x.Spec.TaskId, appId, "TASK_RUNNING")).ToArray());
        return tasks;
    }

    [Fact(Timeout = 30000)]
    public async Task LaunchesOnAgentsWithPortsAndEnvironmentAndCountsRunning()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/web","cmd":"serve","instances":3,"cpus":0.5,"mem":64,"env":{"X":"1"}}""");
        var tasks = await RunningAsync(t, agent, "/web", 3);
        Assert.Equal(3, tasks.Select(x => x.Spec.Ports[0]).Distinct().Count());
        Assert.All(tasks, x => Assert.InRange(x.Spec.Ports[0], 31000, 31100));
        var env = tasks[0].Spec.Env;
        Assert.Equal("1", env["X"]);
        Assert.Equal(tasks[0].Spec.Ports[0].ToString(), env["PORT0"]);
        Assert.Equal("/web", env["MARATHON_APP_ID"]);
        Assert.Equal(tasks[0].Spec.TaskId, env["MESOS_TASK_ID"]);
        Assert.Equal("host-a", env["HOST"]);

        var app = await Eventually.Get(() => t.Client.GetAppAsync("/web"), a => a.TasksRunning == 3, "3 running");
        Assert.All(app.Tasks!, x => Assert.Equal("TASK_RUNNING", x.State));
        Assert.All(app.Tasks!, x => Assert.NotNull(x.StartedAt));
    }

    [Fact(Timeout = 30000)]
    public async Task CrashedTaskIsReplacedAndRecordedAsLastFailure()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/w","cmd":"x","instances":2,"cpus":0.1,"mem":16,"backoffSeconds":0}""");
        var tasks = await RunningAsync(t, agent, "/w", 2);
        await t.Client.ReportStatusAsync(agent, [new TaskStatusReport { TaskId = tasks[0].Spec.TaskId, AppId = "/w", State = "TASK_FAILED", Message = "exited with code 3" }]);
        var after = await t.AssignmentsAsync(agent, a => a.Tasks.Count(x => x.Spec.AppId == "/w") == 2 && a.Tasks.All(x => x.Spec.TaskId != tasks[0].Spec.TaskId));
        Assert.Contains(after.Tasks, x => x.Spec.TaskId == tasks[1].Spec.TaskId);
        var app = await t.Client.GetAppAsync("/w");
        Assert.NotNull(app.LastTaskFailure);
        Assert.Equal(tasks[0].Spec.TaskId, app.LastTaskFailure!.TaskId);
        Assert.Equal("exited with code 3", app.LastTaskFailure.Message);
    }

    [Fact(Timeout = 30000)]
    public async Task ScaleDownKillsAndKilledTasksDisappear()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/s","cmd":"x","instances":3,"cpus":0.1,"mem":16}""");
        await RunningAsync(t, agent, "/s", 3);
        await t.DeploymentsFinishedAsync("the create deployment finished"); // else the scale may race it and get 409
        await t.Client.ScaleAppAsync("/s", 1);
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count(y => y.Kill) == 2);
        foreach (var k in a.Tasks.Where(x => x.Kill)) await t.ReportAsync(agent, (k.Spec.TaskId, "/s", "TASK_KILLED"));
        var tasks = await Eventually.Get(() => t.Client.ListTasksAsync("/s"), l => l.Count == 1, "one task left");
        Assert.Equal("TASK_RUNNING", tasks[0].State);
        var app = await t.Client.GetAppAsync("/s");
        Assert.Null(app.LastTaskFailure); // kills we asked for are not failures
    }

    [Fact(Timeout = 30000)]
    public async Task KillingATaskWithoutScaleReplacesIt()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/k","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var first = (await RunningAsync(t, agent, "/k", 1))[0].Spec.TaskId;
        var resp = await t.Http.DeleteAsync($"/v2/apps/k/tasks/{first}");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(first, (await TestServer.JsonOf(resp)).GetProperty("task").GetProperty("id").GetString());
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Any(y => y.Spec.TaskId == first && y.Kill) && x.Tasks.Any(y => !y.Kill));
        Assert.Equal(2, a.Tasks.Count);

        var missing = await t.Http.DeleteAsync("/v2/apps/k/tasks/k.instance-00000000-0000-0000-0000-000000000000._app.1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var bad = await t.SendJsonAsync(HttpMethod.Post, "/v2/tasks/delete", """{"ids":["nodots"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task UnplaceableInstancesWaitInTheQueueWithAReason()
    {
        await using var t = await TestServer.StartAsync();
        await t.RegisterAgentAsync("small", cpus: 1, mem: 512);
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/big","cmd":"x","instances":2,"cpus":8,"mem":64}""");
        var queue = await Eventually.Get(() => t.Client.GetQueueAsync(), q => q.Count == 1, "queue entry");
        Assert.Equal("/big", queue[0].App.Id);
        Assert.Equal(2, queue[0].Count);
        Assert.Contains(queue[0].ProcessedOffersSummary!.RejectSummaryLastOffers, r => r.Reason == "InsufficientCpus" && r.Declined == 1);
    }

    [Fact(Timeout = 30000)]
    public async Task ConstraintsSpreadAcrossHosts()
    {
        await using var t = await TestServer.StartAsync();
        var a = await t.RegisterAgentAsync("host-a", attributes: new() { ["rack"] = "r1" });
        var b = await t.RegisterAgentAsync("host-b", attributes: new() { ["rack"] = "r2" });
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/u","cmd":"x","instances":3,"cpus":0.1,"mem":16,"constraints":[["hostname","UNIQUE"]]}""");
        var queue = await Eventually.Get(() => t.Client.GetQueueAsync(), q => q.Count == 1 && q[0].Count == 1, "one instance cannot be placed");
        Assert.Contains(queue[0].ProcessedOffersSummary!.RejectSummaryLastOffers, r => r.Reason == "UnfulfilledConstraint");
        var onA = await t.AssignmentsAsync(a, x => x.Tasks.Count == 1);
        var onB = await t.AssignmentsAsync(b, x => x.Tasks.Count == 1);
        Assert.Single(onA.Tasks);
        Assert.Single(onB.Tasks);
    }

    [Fact(Timeout = 60000)]
    public async Task LostAgentsTasksAreReplacedElsewhereAndKilledWhenItReturns()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { AgentTimeout = TimeSpan.FromSeconds(1.5) });
        var a = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/l","cmd":"x","instances":2,"cpus":0.1,"mem":16}""");
        var onA = await RunningAsync(t, a, "/l", 2);
        var b = await t.RegisterAgentAsync("host-b");
        using var cts = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await t.Client.HeartbeatAsync(b, new AgentHeartbeat());
                try { await Task.Delay(200, cts.Token); } catch (OperationCanceledException) { }
            }
        });
        var onB = await t.AssignmentsAsync(b, x => x.Tasks.Count == 2, TimeSpan.FromSeconds(30));
        Assert.All(onB.Tasks, x => Assert.False(x.Kill));
        var agents = await t.Client.GetAgentsAsync();
        Assert.Equal(AgentStatus.Unreachable, agents.Agents.Single(x => x.Agent.Id == a).Agent.Status);

        // host-a comes back still running its old tasks: they are no longer assigned, so it must kill them
        var ack = await t.Client.HeartbeatAsync(a, new AgentHeartbeat { Tasks = onA.Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = "/l", State = "TASK_RUNNING" }).ToList() });
        Assert.True(ack.Known);
        var back = await t.Client.GetAssignmentsAsync(a, null, TimeSpan.Zero);
        Assert.Empty(back.Tasks);
        var running = await t.Client.ListTasksAsync("/l");
        Assert.Equal(2, running.Count);
        Assert.All(running, x => Assert.Equal("host-b", x.Host));
        cts.Cancel();
        await heartbeats;
    }

    [Fact(Timeout = 30000)]
    public async Task DeletingAnAppKillsItsTasks()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/d","cmd":"x","instances":2,"cpus":0.1,"mem":16}""");
        await RunningAsync(t, agent, "/d", 2);
        var resp = await t.Http.DeleteAsync("/v2/apps/d");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        await t.AssignmentsAsync(agent, x => x.Tasks.Count == 2 && x.Tasks.All(y => y.Kill));
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/d")).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task AgentsNeedTheJoinTokenWhenOneIsSet()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { AgentToken = "s3cret" });
        var ex = await Assert.ThrowsAsync<DroverApiException>(() => t.RegisterAgentAsync("h"));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        using var good = new DroverClient(t.Server.Url, "s3cret");
        var reg = await good.RegisterAgentAsync(new AgentRegistration { Hostname = "h", Resources = new AgentResources { Cpus = 1, MemMb = 100 } });
        Assert.False(string.IsNullOrEmpty(reg.AgentId));
    }
}
