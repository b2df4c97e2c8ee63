namespace Drover.Server.Tests;

public class ReconcileBehaviourTests
{
    [Fact(Timeout = 30000)]
    public async Task ScalingKeepsRunningTasksAndRestartReplacesThem()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/r","cmd":"x","instances":2,"cpus":0.1,"mem":16}""");
        var first = await t.AssignmentsAsync(agent, a => a.Tasks.Count == 2);
        await t.ReportAsync(agent, first.Tasks.Select(x => (x.Spec.TaskId, "/r", "TASK_RUNNING")).ToArray());
        await t.DeploymentsFinishedAsync("the create deployment finished"); // else the scale may race it and get 409
        await t.Client.ScaleAppAsync("/r", 3);
        var scaled = await t.AssignmentsAsync(agent, a => a.Tasks.Count == 3);
        Assert.All(first.Tasks, x => Assert.Contains(scaled.Tasks, y => y.Spec.TaskId == x.Spec.TaskId && !y.Kill));
        await t.ReportAsync(agent, scaled.Tasks.Select(x => (x.Spec.TaskId, "/r", "TASK_RUNNING")).ToArray());
        await t.DeploymentsFinishedAsync("the scale deployment finished");

        await t.Client.RestartAppAsync("/r");
        // rolling: new tasks start first (maximumOverCapacity 1), old ones are killed once the new ones run
        var during = await t.AssignmentsAsync(agent, a => a.Tasks.Count(x => scaled.Tasks.All(y => y.Spec.TaskId != x.Spec.TaskId)) == 3);
        var fresh = during.Tasks.Where(x => scaled.Tasks.All(y => y.Spec.TaskId != x.Spec.TaskId)).ToList();
        await t.ReportAsync(agent, fresh.Select(x => (x.Spec.TaskId, "/r", "TASK_RUNNING")).ToArray());
        var after = await t.AssignmentsAsync(agent, a => scaled.Tasks.All(old => a.Tasks.Any(x => x.Spec.TaskId == old.Spec.TaskId && x.Kill)));
        Assert.Equal(3, after.Tasks.Count(x => !x.Kill));
    }

    [Fact(Timeout = 30000)]
    public async Task RepeatedFailuresBackOffAndTheDelayCanBeReset()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/f","cmd":"false","instances":1,"cpus":0.1,"mem":16,"backoffSeconds":60}""");
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1);
        await t.ReportAsync(agent, (a.Tasks[0].Spec.TaskId, "/f", "TASK_FAILED"));
        var queue = await Eventually.Get(() => t.Client.GetQueueAsync(), q => q.Count == 1 && !q[0].Delay.Overdue, "backoff delay in queue");
        Assert.InRange(queue[0].Delay.TimeLeftSeconds, 1, 60);
        var none = await t.Client.GetAssignmentsAsync(agent, null, TimeSpan.Zero);
        Assert.Empty(none.Tasks);

        var reset = await t.Http.DeleteAsync("/v2/queue//f/delay");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, reset.StatusCode);
        await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1);
    }
}
