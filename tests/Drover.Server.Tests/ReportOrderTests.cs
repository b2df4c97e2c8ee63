using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>
/// Reports of one agent overtaking each other on the way (another connection, another server forwarding): the
/// numbers the agent stamps on them (run + seq) decide, not the order they arrive in.
/// </summary>
public sealed class ReportOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static async Task<(TestServer Server, string Agent, string TaskId, ManualTimeProvider Time)> StagedLongAgoAsync()
    {
        var time = new ManualTimeProvider(T0);
        var t = await TestServer.StartAsync(new ServerOptions { AgentTimeout = TimeSpan.FromHours(1) }, time);
        var agent = await t.RegisterAgentAsync("host");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/order","cmd":"sleep 100","instances":1,"cpus":0.1,"mem":16}""");
        var task = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1)).Tasks[0].Spec.TaskId;
        // staged more than 10 s ago: a full report without the task calls it lost
        time.Advance(TimeSpan.FromSeconds(11));
        return (t, agent, task, time);
    }

    private static TaskStatusReport Report(string taskId, string state, long seq) =>
        new() { TaskId = taskId, AppId = "/order", State = state, Run = "run-1", Seq = seq };

    private static TaskRecord? Stored(TestServer t, string taskId) => t.Writer.Current.Get(Schema.Tasks, taskId);

    [Fact(Timeout = 60000)]
    public async Task A_heartbeat_overtaken_by_a_newer_status_report_neither_loses_the_task_nor_undoes_the_report()
    {
        var (t, agent, task, _) = await StagedLongAgoAsync();
        await using var _t = t;
        // heartbeat 5 was taken before the agent knew the task; the status report 6 of its start arrives first
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_RUNNING", 6)]);
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 5 });
        Assert.Equal(TaskState.Running, Stored(t, task)?.State); // before the numbers: TASK_LOST, and the task gone

        // an older status report arriving late does not take the task back to starting either
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_STARTING", 4)]);
        Assert.Equal(TaskState.Running, Stored(t, task)?.State);

        // a heartbeat newer than the report does tell: the task is gone
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 7 });
        Assert.Null(Stored(t, task));
    }

    [Fact(Timeout = 60000)]
    public async Task Reports_of_a_new_run_and_unstamped_reports_are_taken_as_they_come()
    {
        var (t, agent, task, _) = await StagedLongAgoAsync();
        await using var _t = t;
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_RUNNING", 100)]);
        // the agent restarted: its numbers begin again, and a low one is not stale
        await t.Client.ReportStatusAsync(agent, [new TaskStatusReport { TaskId = task, AppId = "/order", State = "TASK_KILLING", Run = "run-2", Seq = 1 }]);
        Assert.Equal(TaskState.Killing, Stored(t, task)?.State);
        // an agent that does not stamp its reports is heard as before
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat());
        Assert.Null(Stored(t, task));
    }

    [Fact(Timeout = 60000)]
    public async Task An_end_is_taken_even_from_an_older_report()
    {
        var (t, agent, task, _) = await StagedLongAgoAsync();
        await using var _t = t;
        // the heartbeat's own number counts for its list, not the older one its entry still carries
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 9, Tasks = [Report(task, "TASK_RUNNING", 2)] });
        Assert.Equal(TaskState.Running, Stored(t, task)?.State);
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_FAILED", 8)]);
        Assert.Null(Stored(t, task));
        Assert.Equal("TASK_FAILED", t.Writer.Current.Get(Schema.TaskFailures, "/order")?.State);
    }
}
