using System.Net;
using Drover.Api.Client;
using Drover.Core.Cluster;

namespace Drover.Server.Tests;

/// <summary>POST/DELETE /v1/drover/agents/{id-or-host}/drain: no new work on a draining agent; tasks move away healthy-first; the deadline kills the rest.</summary>
public sealed class DrainTests
{
    [Fact(Timeout = 30000)]
    public async Task Draining_moves_a_task_to_another_agent_before_killing_it_and_ends_drained()
    {
        await using var t = await TestServer.StartAsync();
        var a = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/d","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var first = (await t.AssignmentsAsync(a, x => x.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(a, (first.TaskId, "/d", "TASK_RUNNING"));
        await t.DeploymentsFinishedAsync();
        var b = await t.RegisterAgentAsync("host-b");

        var view = await t.Client.DrainAgentAsync("host-a");
        Assert.Equal((AgentStatus.Draining, "draining", 1), (view.Agent.Status, view.Drain, view.Tasks));
        Assert.NotNull(view.Agent.Drain?.StartedAt);
        Assert.Null(view.Agent.Drain?.Deadline);

        // the replacement starts on host-b while the old task still runs (never below minimumHealthCapacity 1)
        var moved = (await t.AssignmentsAsync(b, x => x.Tasks.Count == 1)).Tasks[0].Spec;
        var stillThere = await t.Client.GetAssignmentsAsync(a, null, TimeSpan.Zero);
        Assert.False(Assert.Single(stillThere.Tasks).Kill);
        await t.ReportAsync(b, (moved.TaskId, "/d", "TASK_RUNNING"));
        await t.AssignmentsAsync(a, x => x.Tasks.Count == 1 && x.Tasks[0].Kill);
        await t.ReportAsync(a, (first.TaskId, "/d", "TASK_KILLED"));

        var agents = await t.Client.GetAgentsAsync();
        var drained = agents.Agents.Single(x => x.Agent.Hostname == "host-a");
        Assert.Equal(("drained", 0), (drained.Drain, drained.Tasks));
        Assert.Null(agents.Agents.Single(x => x.Agent.Hostname == "host-b").Drain);

        // nothing new is placed on a drained agent; undrained, it takes work again
        await t.Client.ScaleAppAsync("/d", 2, force: true);
        await t.AssignmentsAsync(b, x => x.Tasks.Count(y => !y.Kill) == 2);
        Assert.Empty((await t.Client.GetAssignmentsAsync(a, null, TimeSpan.Zero)).Tasks);
        var undrained = await t.Client.UndrainAgentAsync(a); // by id this time
        Assert.Equal((AgentStatus.Active, null), (undrained.Agent.Status, undrained.Drain));
        Assert.Null(undrained.Agent.Drain);
    }

    [Fact(Timeout = 30000)]
    public async Task At_the_deadline_the_tasks_left_are_killed()
    {
        await using var t = await TestServer.StartAsync();
        var a = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/d","cmd":"x","instances":1,"cpus":0.1,"mem":16}""");
        var first = (await t.AssignmentsAsync(a, x => x.Tasks.Count == 1)).Tasks[0].Spec;
        await t.ReportAsync(a, (first.TaskId, "/d", "TASK_RUNNING"));

        // no other agent: the task cannot move, so only the deadline ends it
        var view = await t.Client.DrainAgentAsync("host-a", TimeSpan.FromSeconds(1));
        Assert.NotNull(view.Agent.Drain?.Deadline);
        Assert.False((await t.Client.GetAssignmentsAsync(a, null, TimeSpan.Zero)).Tasks[0].Kill);
        await t.AssignmentsAsync(a, x => x.Tasks.Count == 1 && x.Tasks[0].Kill, TimeSpan.FromSeconds(15));
        var queue = await Eventually.Get(() => t.Client.GetQueueAsync(), q => q.Count == 1, "the app waits for an agent");
        Assert.Contains(queue[0].ProcessedOffersSummary!.RejectSummaryLastOffers, r => r.Reason == "AgentMaintenance" && r.Declined == 1);
    }

    [Fact(Timeout = 30000)]
    public async Task Unknown_agents_and_bad_deadlines_are_refused_clearly()
    {
        await using var t = await TestServer.StartAsync();
        await t.RegisterAgentAsync("host-a");
        var unknown = await Assert.ThrowsAsync<DroverApiException>(() => t.Client.DrainAgentAsync("host-z"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("no agent 'host-z' (agents: host-a)", unknown.Message);

        var bad = await t.Http.PostAsync("/v1/drover/agents/host-a/drain?deadline=soon", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var doc = System.Text.Json.JsonDocument.Parse(await bad.Content.ReadAsStringAsync()))
            Assert.Equal("Invalid deadline 'soon': use a duration such as 30s, 5m or 1h", doc.RootElement.GetProperty("message").GetString());
        var negative = await t.Http.PostAsync("/v1/drover/agents/host-a/drain?deadline=-5s", null);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        // nothing was written
        Assert.Null((await t.Client.GetAgentsAsync()).Agents.Single().Agent.Drain);
        var undrainUnknown = await t.Http.DeleteAsync("/v1/drover/agents/nobody/drain");
        Assert.Equal(HttpStatusCode.NotFound, undrainUnknown.StatusCode);
    }
}
