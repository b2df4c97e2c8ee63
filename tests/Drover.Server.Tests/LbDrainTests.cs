using System.Net;
using Drover.Api.Client;
using Drover.Api.LoadBalancing;

namespace Drover.Server.Tests;

/// <summary>Drain before kill over the real HTTP API: a fake lb registers, watches, and acknowledges what it applied.</summary>
public sealed class LbDrainTests
{
    // heartbeats every 10 s: a test never outlives its lb's 30 s of liveness by accident
    private static Task<TestServer> StartAsync() => TestServer.StartAsync(new ServerOptions { LbHeartbeatInterval = TimeSpan.FromSeconds(10) });

    private const string PatientWebApp = """
        {"id":"/web","cmd":"x","instances":2,"cpus":0.1,"mem":16,
         "labels":{"HAPROXY_GROUP":"external","DROVER_LB_DRAIN_SECONDS":"60"},"portDefinitions":[{"port":0}]}
        """;

    private static async Task<LbState> DrainingAsync(TestServer t, Func<LbTask, bool> which) =>
        await Eventually.Get(() => t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1)),
            s => s.Apps.Any(a => a.Tasks.Any(x => x.Draining && which(x))), "the task shows as draining in the lb state");

    [Fact(Timeout = 30000)]
    public async Task A_scale_down_drains_the_task_from_the_lb_before_the_agent_is_told_to_kill()
    {
        await using var t = await StartAsync();
        var (agent, _) = await LbStateTests.RunWebAsync(t, PatientWebApp);
        var initial = await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = initial.Index, Group = "external" });

        await t.Client.ScaleAppAsync("/web", 1);
        var state = await DrainingAsync(t, _ => true);
        var draining = state.Apps[0].Tasks.Single(x => x.Draining);
        Assert.True(draining.KillRequested);
        // the lb has not applied this state yet: the agent still runs the task undisturbed
        var held = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        Assert.False(held.Tasks.Single(x => x.Spec.TaskId == draining.Id).Kill);
        Assert.Contains((await t.Client.ListTasksAsync("/web")), x => x.Id == draining.Id && x.State == "TASK_RUNNING");

        // an lb that applied an older index does not release it; applying the draining state does
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = initial.Index });
        Assert.False((await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero)).Tasks.Single(x => x.Spec.TaskId == draining.Id).Kill);
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = state.Index });
        await t.AssignmentsAsync(agent, a => a.Tasks.Single(x => x.Spec.TaskId == draining.Id).Kill);
        var after = await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));
        Assert.Contains(after.Apps[0].Tasks, x => x.Id == draining.Id && !x.Draining && x.KillRequested);
        await t.ReportAsync(agent, (draining.Id, "/web", "TASK_KILLED"));
        await t.DeploymentsFinishedAsync("the scale-down finished once the drained task was gone");
    }

    [Fact(Timeout = 30000)]
    public async Task Drover_kill_waits_for_every_live_lb_and_the_task_ends_as_before()
    {
        await using var t = await StartAsync();
        var (agent, ids) = await LbStateTests.RunWebAsync(t, PatientWebApp);
        var initial = await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));
        await t.Client.HeartbeatLbAsync("lb-a", new LbHeartbeat { AppliedIndex = initial.Index });
        await t.Client.HeartbeatLbAsync("lb-b", new LbHeartbeat { AppliedIndex = initial.Index });

        var victim = ids[0];
        var killed = await t.Client.KillTasksAsync([victim]);
        Assert.Equal(victim, Assert.Single(killed).Id);
        var state = await DrainingAsync(t, x => x.Id == victim);
        await t.Client.HeartbeatLbAsync("lb-a", new LbHeartbeat { AppliedIndex = state.Index });
        Assert.False((await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero)).Tasks.Single(x => x.Spec.TaskId == victim).Kill);
        // lb-b leaves in an orderly way: nothing holds the kill any more
        await t.Client.DeregisterLbAsync("lb-b");
        await t.AssignmentsAsync(agent, a => a.Tasks.Single(x => x.Spec.TaskId == victim).Kill);
        await t.ReportAsync(agent, (victim, "/web", "TASK_KILLED"));
        // the app is not scaled: a replacement is launched, undrained
        var replaced = await t.AssignmentsAsync(agent, a => a.Tasks.Count == 2 && a.Tasks.All(x => x.Spec.TaskId != victim));
        Assert.All(replaced.Tasks, x => Assert.False(x.Kill));
    }

    [Fact(Timeout = 30000)]
    public async Task A_task_record_update_the_lbs_do_not_route_by_does_not_hold_the_kill_longer()
    {
        await using var t = await StartAsync();
        var (agent, ids) = await LbStateTests.RunWebAsync(t, PatientWebApp);
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = 1 });
        await t.Client.KillTasksAsync([ids[0]]);
        await DrainingAsync(t, x => x.Id == ids[0]);
        // its replacement is placed meanwhile (a routing change of its own): wait for the state to settle with it
        var state = await Eventually.Get(() => t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1)), s => s.Apps[0].Tasks.Count == 3, "the replacement is in the lb state");

        // the agent reports the task again (a message, say): its record moves on, the lb state does not
        var recordBefore = t.Writer.Current.Entry("tasks", ids[0])!.ModifyIndex;
        await t.Client.ReportStatusAsync(agent, [new Api.Agents.TaskStatusReport { TaskId = ids[0], AppId = "/web", State = "TASK_RUNNING", Message = "still serving" }]);
        Assert.True(t.Writer.Current.Entry("tasks", ids[0])!.ModifyIndex > recordBefore);
        Assert.Equal(state.Index, (await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index);

        // applying a state that shows it draining is enough, though the record has moved past that index
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = state.Index });
        await t.AssignmentsAsync(agent, a => a.Tasks.Single(x => x.Spec.TaskId == ids[0]).Kill, TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = 30000)]
    public async Task An_lb_that_never_acknowledges_holds_the_kill_only_for_the_drain_timeout()
    {
        await using var t = await StartAsync();
        var (agent, ids) = await LbStateTests.RunWebAsync(t, LbStateTests.WebApp.Replace("\"HAPROXY_GROUP\"", "\"DROVER_LB_DRAIN_SECONDS\":\"1\",\"HAPROXY_GROUP\""));
        await t.Client.HeartbeatLbAsync("wedged", new LbHeartbeat { AppliedIndex = 1 });
        await t.Client.KillTasksAsync([ids[0]]);
        await DrainingAsync(t, x => x.Id == ids[0]);
        var released = DateTime.UtcNow;
        await t.AssignmentsAsync(agent, a => a.Tasks.Single(x => x.Spec.TaskId == ids[0]).Kill, TimeSpan.FromSeconds(15));
        Assert.True(DateTime.UtcNow - released >= TimeSpan.FromMilliseconds(500), "the kill was held for the drain timeout");
    }

    [Fact(Timeout = 30000)]
    public async Task Without_an_lb_or_without_lb_labels_the_kill_goes_out_at_once_as_before()
    {
        await using var t = await StartAsync();
        var (agent, ids) = await LbStateTests.RunWebAsync(t, PatientWebApp);
        // no lb registered: a load-balanced task is killed straight away
        await t.Client.KillTasksAsync([ids[0]]);
        var now = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        Assert.True(now.Tasks.Single(x => x.Spec.TaskId == ids[0]).Kill);
        Assert.DoesNotContain((await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Apps[0].Tasks, x => x.Draining);

        // an lb registered, but the app has no HAPROXY_* label: killed straight away too
        await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = 0 });
        using (var plain = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/plain","cmd":"x","instances":1,"cpus":0.1,"mem":16}"""))
            Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        var p = (await t.AssignmentsAsync(agent, a => a.Tasks.Any(x => x.Spec.AppId == "/plain"))).Tasks.Single(x => x.Spec.AppId == "/plain").Spec.TaskId;
        await t.ReportAsync(agent, (p, "/plain", "TASK_RUNNING"));
        await t.DeploymentsFinishedAsync();
        await t.Client.ScaleAppAsync("/plain", 0);
        await t.AssignmentsAsync(agent, a => a.Tasks.Single(x => x.Spec.TaskId == p).Kill, TimeSpan.FromSeconds(5));
        Assert.DoesNotContain((await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Apps.Single(a => a.Id == "/plain").Tasks, x => x.Draining);
    }

    [Theory(Timeout = 30000)]
    [InlineData("lb-1", "[1]", "the body must be a JSON object such as {\"appliedIndex\": 42, \"group\": \"external\"}")]
    [InlineData("lb-1", "{}", "appliedIndex is required: the X-Drover-Index of the lb state this lb has put into effect (0 if none yet)")]
    [InlineData("lb-1", """{"appliedIndex":"7"}""", "appliedIndex must be a non-negative integer, not \"7\"")]
    [InlineData("lb-1", """{"appliedIndex":-1}""", "appliedIndex must be a non-negative integer, not -1")]
    [InlineData("lb-1", """{"appliedIndex":1,"group":5}""", "group must be a string, not 5")]
    [InlineData("lb%20one", """{"appliedIndex":1}""", "Invalid load balancer id 'lb one': use 1-128 letters, digits, '-', '_', '.' or ':'")]
    public async Task Bad_registrations_are_400s_naming_the_problem_and_register_nothing(string id, string body, string message)
    {
        await using var t = await StartAsync();
        using var resp = await t.SendJsonAsync(HttpMethod.Put, "/v1/drover/lb/instances/" + id, body);
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Equal(message, (await TestServer.JsonOf(resp)).GetProperty("message").GetString());
        Assert.Empty((await t.Client.GetLbInstancesAsync()).Instances);
    }

    [Fact(Timeout = 30000)]
    public async Task Registered_lbs_are_listed_and_an_unknown_one_cannot_be_deregistered()
    {
        await using var t = await StartAsync();
        var hb = await t.Client.HeartbeatLbAsync("lb-1", new LbHeartbeat { AppliedIndex = 3, Group = "internal" });
        Assert.Equal((10.0, true, 3L), (hb.HeartbeatIntervalSeconds, hb.Live, hb.AppliedIndex));
        var listed = Assert.Single((await t.Client.GetLbInstancesAsync()).Instances);
        Assert.Equal(("lb-1", "internal"), (listed.Id, listed.Group));
        var missing = await Assert.ThrowsAsync<DroverApiException>(() => t.Client.DeregisterLbAsync("lb-9"));
        Assert.Equal((HttpStatusCode.NotFound, "no load balancer 'lb-9' is registered"), (missing.Status, missing.Message));
        await t.Client.DeregisterLbAsync("lb-1");
        Assert.Empty((await t.Client.GetLbInstancesAsync()).Instances);
    }

    [Fact(Timeout = 30000)]
    public async Task A_bad_drain_timeout_label_is_refused_at_submit()
    {
        await using var t = await StartAsync();
        using var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/bad","cmd":"x","instances":0,"labels":{"HAPROXY_GROUP":"external","DROVER_LB_DRAIN_SECONDS":"forever"}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, resp.StatusCode);
        var detail = (await TestServer.JsonOf(resp)).GetProperty("details").EnumerateArray().Single();
        Assert.Equal("/labels/DROVER_LB_DRAIN_SECONDS", detail.GetProperty("path").GetString());
        Assert.Equal("label DROVER_LB_DRAIN_SECONDS must be a number of seconds from 0 to 300, not 'forever'", detail.GetProperty("errors")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/bad")).StatusCode);
    }
}
