using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Storage;
using Drover.State.Tests;

namespace Drover.Server.Tests;

/// <summary>
/// Report order across a failover, played as a restart on one SQLite file: the first server is the old leader, the
/// second the new one, whose memory of the agent's reports starts empty. What it orders by is in the store: each task
/// record's newest report (reportRun/reportSeq) and the agent's newest stored heartbeat (agent-last-seen).
/// </summary>
public sealed class ReportOrderFailoverTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static ServerOptions Options(TempDirectory dir) =>
        new() { DataDir = dir.Path, AgentTimeout = TimeSpan.FromHours(1), LivenessFlushInterval = TimeSpan.FromHours(1) };

    private static TaskStatusReport Report(string taskId, string state, long seq) =>
        new() { TaskId = taskId, AppId = "/order", State = state, Run = "run-1", Seq = seq };

    private static Task<int> FlushAsync(TestServer t) =>
        ((AgentLivenessRecorder)t.Server.Services.GetService(typeof(AgentLivenessRecorder))!).FlushAsync(CancellationToken.None);

    private static TaskRecord? Stored(TestServer t, string taskId) => t.Writer.Current.Get(Schema.Tasks, taskId);

    /// <summary>An agent and an app of <paramref name="instances"/> tasks on it, staged more than 10 s ago (a full report without one calls it lost).</summary>
    private static async Task<(string Agent, string[] Tasks)> StagedLongAgoAsync(TestServer t, ManualTimeProvider time, int instances)
    {
        var agent = await t.RegisterAgentAsync("host");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", $$"""{"id":"/order","cmd":"sleep 100","instances":{{instances}},"cpus":0.1,"mem":16}""");
        var tasks = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == instances)).Tasks.Select(x => x.Spec.TaskId).Order(StringComparer.Ordinal).ToArray();
        time.Advance(TimeSpan.FromSeconds(11));
        return (agent, tasks);
    }

    [Fact(Timeout = 90000)]
    public async Task After_a_failover_an_overtaken_heartbeat_loses_no_task_and_an_old_status_report_regresses_none()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        string agent, told, other;
        await using (var old = await TestServer.StartAsync(Options(dir), time))
        {
            string[] tasks;
            (agent, tasks) = await StagedLongAgoAsync(old, time, 2);
            (told, other) = (tasks[0], tasks[1]);
            // status report 6 tells of the start; the old leader writes its place with it, then fails
            await old.Client.ReportStatusAsync(agent, [Report(told, "TASK_RUNNING", 6)]);
            Assert.Equal(("run-1", 6L), (Stored(old, told)?.ReportRun, Stored(old, told)?.ReportSeq));
            // internal to the store: python3-marathon would crash on the unknown keys in Marathon's task JSON
            var marathon = await old.Http.GetStringAsync("/v2/apps/order/tasks");
            Assert.Contains(told, marathon);
            Assert.DoesNotContain("reportSeq", marathon);
            Assert.DoesNotContain("reportRun", marathon);
        }

        await using var t = await TestServer.StartAsync(Options(dir), time);
        // the new leader hears a newer report of the same run first, so memory knows the run, but not report 6
        await t.Client.ReportStatusAsync(agent, [Report(other, "TASK_RUNNING", 7)]);
        Assert.Equal(TaskState.Running, Stored(t, other)?.State);

        // heartbeat 5 was taken before the agent knew of "told"; it arrives only now (it waited on another connection)
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 5, Tasks = [Report(other, "TASK_RUNNING", 5)] });
        Assert.Equal(TaskState.Running, Stored(t, told)?.State); // taken as it came (before the store kept order): TASK_LOST

        // an older status report does not take it back to starting either
        await t.Client.ReportStatusAsync(agent, [Report(told, "TASK_STARTING", 4)]);
        Assert.Equal(TaskState.Running, Stored(t, told)?.State);
        Assert.Equal(6L, Stored(t, told)?.ReportSeq);

        // a heartbeat newer than report 6 does tell: "told" is gone
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 8, Tasks = [Report(other, "TASK_RUNNING", 7)] });
        Assert.Null(Stored(t, told));
        Assert.Equal(TaskState.Running, Stored(t, other)?.State);
    }

    [Fact(Timeout = 90000)]
    public async Task A_heartbeat_that_changed_nothing_still_orders_reports_after_a_failover_through_the_last_seen_record()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        string agent, task;
        await using (var old = await TestServer.StartAsync(Options(dir), time))
        {
            string[] tasks;
            (agent, tasks) = await StagedLongAgoAsync(old, time, 1);
            task = tasks[0];
            await old.Client.ReportStatusAsync(agent, [Report(task, "TASK_RUNNING", 3)]);
            // heartbeat 8 shows nothing new: no task write, only memory knows its number, until the liveness flush
            time.Advance(TimeSpan.FromSeconds(1));
            await old.Client.HeartbeatAsync(agent, new AgentHeartbeat { Run = "run-1", Seq = 8, Tasks = [Report(task, "TASK_RUNNING", 3)] });
            Assert.Equal(3L, Stored(old, task)?.ReportSeq);
            Assert.Equal(1, await FlushAsync(old));
            var seen = old.Writer.Current.Get(Schema.AgentLastSeen, agent);
            Assert.Equal(("run-1", 8L), (seen?.HeartbeatRun, seen?.HeartbeatSeq));
        }

        await using var t = await TestServer.StartAsync(Options(dir), time);
        // report 6 (a health or state change older than heartbeat 8) is stale, though the task record says only 3
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_STARTING", 6)]);
        Assert.Equal(TaskState.Running, Stored(t, task)?.State);

        // the new leader's flush keeps the stored numbers until it has applied a heartbeat of its own
        time.Advance(TimeSpan.FromSeconds(1));
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_RUNNING", 9)]);
        // unstamped: moves the clock, brings no number
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Tasks = [new TaskStatusReport { TaskId = task, AppId = "/order", State = "TASK_RUNNING" }] });
        Assert.Equal(1, await FlushAsync(t));
        Assert.Equal(8L, t.Writer.Current.Get(Schema.AgentLastSeen, agent)?.HeartbeatSeq);

        // a newer report does tell
        await t.Client.ReportStatusAsync(agent, [Report(task, "TASK_KILLING", 10)]);
        Assert.Equal(TaskState.Killing, Stored(t, task)?.State);
        Assert.Equal(10L, Stored(t, task)?.ReportSeq);
    }
}
