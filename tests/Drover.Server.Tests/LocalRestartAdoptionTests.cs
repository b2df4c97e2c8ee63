using Drover.Api.Agents;
using Drover.Core.Cluster;

namespace Drover.Server.Tests;

/// <summary>Tasks an agent restarted by itself while cut off (…._app.2) take their predecessor's place; others stay unknown and are not assigned.</summary>
public sealed class LocalRestartAdoptionTests
{
    [Fact(Timeout = 30000)]
    public async Task A_later_incarnation_reported_with_its_ended_predecessor_replaces_it_without_a_new_launch()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/r","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var first = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(agent, (first.TaskId, "/r", "TASK_RUNNING"));
        Assert.EndsWith("._app.1", first.TaskId);

        var next = TaskIncarnation.Next(first.TaskId);
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat
        {
            Tasks =
            [
                new TaskStatusReport { TaskId = first.TaskId, AppId = "/r", State = "TASK_FAILED", Message = "exited with code 1", Version = first.Version },
                new TaskStatusReport { TaskId = next, AppId = "/r", State = "TASK_RUNNING", Version = first.Version, StartedAt = "2030-01-01T00:00:00.000Z", Ports = first.Ports },
            ],
        });

        var tasks = await t.Client.ListTasksAsync("/r");
        var task = Assert.Single(tasks);
        Assert.Equal(next, task.Id);
        Assert.Equal("TASK_RUNNING", task.State);
        Assert.Equal("host-a", task.Host);
        Assert.Equal(first.Ports, task.Ports);
        Assert.Equal("2030-01-01T00:00:00.000Z", task.StartedAt);
        // the adopted task is the one assigned: no replacement launched, nothing killed
        var assigned = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        var only = Assert.Single(assigned.Tasks);
        Assert.Equal((next, false), (only.Spec.TaskId, only.Kill));
        Assert.Equal(next, only.Spec.Env["MESOS_TASK_ID"]);
        // the predecessor's failure is still what it was
        var app = await t.Client.GetAppAsync("/r");
        Assert.Equal(first.TaskId, app.LastTaskFailure?.TaskId);
    }

    [Fact(Timeout = 30000)]
    public async Task An_incarnation_reported_after_its_predecessors_end_is_adopted_and_the_replacement_launched_meanwhile_goes()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/r","cmd":"x","instances":1,"cpus":0.1,"mem":16,"labels":{"DROVER_UNREACHABLE_KEEP":"returning"}}""");
        var first = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(agent, (first.TaskId, "/r", "TASK_RUNNING"));
        // the end of the first task arrives alone (sent into the partition, delivered after it): a replacement follows
        await t.ReportAsync(agent, (first.TaskId, "/r", "TASK_FAILED"));
        var replacement = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1 && a.Tasks[0].Spec.TaskId != first.TaskId)).Tasks[0].Spec;
        await t.ReportAsync(agent, (replacement.TaskId, "/r", "TASK_RUNNING"));

        var restarted = TaskIncarnation.Next(first.TaskId);
        await t.ReportAsync(agent, (restarted, "/r", "TASK_RUNNING"));

        // the restarted task is adopted; the app has one too many, and the label keeps the returning one
        var assigned = await t.AssignmentsAsync(agent, a => a.Tasks.Any(x => x.Spec.TaskId == replacement.TaskId && x.Kill));
        Assert.Contains(assigned.Tasks, x => x.Spec.TaskId == restarted && !x.Kill);
    }

    [Fact(Timeout = 60000)]
    public async Task A_partial_report_from_a_returning_agent_settles_nothing_until_its_full_report_names_its_restarts()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { AgentTimeout = TimeSpan.FromSeconds(1.5) });
        var a = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """
            {"id":"/p","cmd":"x","instances":1,"cpus":0.1,"mem":16,"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":600},
             "labels":{"DROVER_UNREACHABLE_KEEP":"returning"}}
            """);
        var first = (await t.AssignmentsAsync(a, x => x.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(a, (first.TaskId, "/p", "TASK_RUNNING"));
        var b = await t.RegisterAgentAsync("host-b");
        using var cts = new CancellationTokenSource();
        var beats = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await t.Client.HeartbeatAsync(b, new AgentHeartbeat { Tasks = await Running(b) });
                try { await Task.Delay(200, cts.Token); } catch (OperationCanceledException) { }
            }
        });
        // host-a is cut off: its task is replaced on host-b
        var replacement = (await t.AssignmentsAsync(b, x => x.Tasks.Count == 1, TimeSpan.FromSeconds(30))).Tasks[0].Spec;
        await t.ReportAsync(b, (replacement.TaskId, "/p", "TASK_RUNNING"));

        // host-a comes back; what reaches the server first is a report queued during the partition, naming the old task
        await t.ReportAsync(a, (first.TaskId, "/p", "TASK_RUNNING"));
        var agents = await t.Client.GetAgentsAsync();
        Assert.Equal(AgentStatus.Unreachable, agents.Agents.Single(x => x.Agent.Id == a).Agent.Status);
        Assert.DoesNotContain((await t.Client.GetAssignmentsAsync(b, null, TimeSpan.Zero)).Tasks, x => x.Kill);

        // its full report follows: the old task ended there and was restarted as the next incarnation
        var restarted = TaskIncarnation.Next(first.TaskId);
        await t.Client.HeartbeatAsync(a, new AgentHeartbeat
        {
            Tasks =
            [
                new TaskStatusReport { TaskId = restarted, AppId = "/p", State = "TASK_RUNNING", Version = first.Version, StartedAt = "2000-01-01T00:00:00.000Z", Ports = first.Ports },
            ],
        });
        // the surplus is settled with the restart in view: the returning (older) task stays, the replacement goes
        await t.AssignmentsAsync(b, x => x.Tasks.Any(y => y.Spec.TaskId == replacement.TaskId && y.Kill), TimeSpan.FromSeconds(30));
        var onA = await t.Client.GetAssignmentsAsync(a, null, TimeSpan.Zero);
        Assert.Contains(onA.Tasks, x => x.Spec.TaskId == restarted && !x.Kill);
        cts.Cancel();
        await beats;

        async Task<List<TaskStatusReport>> Running(string agent) =>
            [.. (await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero)).Tasks.Where(x => !x.Kill)
                .Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = x.Spec.AppId, State = "TASK_RUNNING" })];
    }

    [Fact(Timeout = 30000)]
    public async Task An_incarnation_of_a_task_the_server_wanted_gone_stays_unknown()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/r","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var first = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(agent, (first.TaskId, "/r", "TASK_RUNNING"));
        await t.DeploymentsFinishedAsync();
        await t.Client.ScaleAppAsync("/r", 0);
        await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1 && a.Tasks[0].Kill);

        var stray = TaskIncarnation.Next(first.TaskId);
        await t.ReportAsync(agent, (stray, "/r", "TASK_RUNNING"));

        var tasks = await t.Client.ListTasksAsync("/r");
        Assert.Equal([first.TaskId], tasks.Select(x => x.Id).ToArray());
        var assigned = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        Assert.DoesNotContain(assigned.Tasks, a => a.Spec.TaskId == stray); // so the agent kills it
    }

    [Fact(Timeout = 30000)]
    public async Task An_invalid_keep_label_is_refused_naming_the_label()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/k","cmd":"x","labels":{"DROVER_UNREACHABLE_KEEP":"newest"}}""");
        Assert.Equal(422, (int)resp.StatusCode);
        var body = await resp.Content.ReadAsStringAsync();
        Assert.Contains("/labels/DROVER_UNREACHABLE_KEEP", body);
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        var detail = doc.RootElement.GetProperty("details")[0];
        Assert.Equal("/labels/DROVER_UNREACHABLE_KEEP", detail.GetProperty("path").GetString());
        Assert.Equal("must be 'returning' or 'replacement', got 'newest'", detail.GetProperty("errors")[0].GetString());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/k")).StatusCode);
    }
}
