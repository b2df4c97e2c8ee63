using Drover.Api.Agents;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Events;
using Drover.Server.Reconcile;
using Drover.Server.Tasks;
using Drover.State;
using Microsoft.Extensions.Logging.Abstractions;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>Side effects of a write (memory, events, logs) happen only once the write is durable; a refused write moves nothing.</summary>
public sealed class WriteEffectsTests
{
    /// <summary>The in-memory store, with a switch that makes every write fail as a store that is down (or a fenced leader) would.</summary>
    private sealed class RefusingStore(IStateStore inner) : IStateStore
    {
        public bool Refuse { get; set; }
        public StateSnapshot Current => inner.Current;

        public Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default) =>
            Refuse ? throw new IOException("store down (test)") : inner.ApplyAsync(ops, ct);

        public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => inner.WatchAsync(sinceIndex, ct);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static readonly Collection<AgentInfo> Agents = Schema.Agents;

    [Fact(Timeout = 10000)]
    public async Task Effects_run_after_the_batch_is_durable_and_see_it()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        long seenIndex = -1;
        var (snap, result) = await writer.UpdateAsync<string>((s, effects) =>
        {
            effects.Add(() => seenIndex = writer.Current.Index);
            return ([StateOp.Put(Agents, "a1", Agent("a1"))], "ok");
        });
        Assert.Equal("ok", result);
        Assert.Equal(snap.Index, seenIndex);
        Assert.NotNull(writer.Current.Get(Agents, "a1"));
    }

    [Fact(Timeout = 10000)]
    public async Task A_failed_precondition_runs_no_effect()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Agents, "a1", Agent("a1"))]);
        var ran = false;
        await Assert.ThrowsAsync<PreconditionFailedException>(() => writer.UpdateAsync((_, effects) =>
        {
            effects.Add(() => ran = true);
            return [StateOp.Put(Agents, "a1", Agent("a1"), expectedModifyIndex: 0)];
        }));
        Assert.False(ran);
    }

    [Fact(Timeout = 10000)]
    public async Task Each_run_of_a_decide_function_gets_fresh_effects()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var runs = 0;
        for (var i = 0; i < 2; i++)
            await writer.UpdateAsync((_, effects) =>
            {
                Assert.Equal(0, effects.Count);
                effects.Add(() => runs++);
                return [StateOp.Put(Agents, "a" + i, Agent("a" + i))];
            });
        Assert.Equal(2, runs);
    }

    [Fact(Timeout = 10000)]
    public async Task A_task_failure_the_store_refused_sets_no_backoff_remembers_nothing_and_publishes_nothing()
    {
        var time = TimeProvider.System;
        var store = new RefusingStore(new InMemoryStateStore());
        await using var disposeStore = store;
        var writer = new StateWriter(store);
        var log = new ServerLog(NullLogger<ServerLog>.Instance);
        var bus = new EventBus(time, log);
        var recent = new RecentTasks(writer);
        var agents = new AgentService(writer, new AgentLiveness(time, new ServerOptions()), time, log, new TaskEvents(bus), new ServerOptions());

        const string version = "2030-01-01T00:00:00.000Z";
        var app = new AppDefinition { Id = "/web", Version = version, Instances = 1, Cmd = "x" };
        var task = new TaskRecord { Id = "web.instance-1._app.1", AppId = "/web", AgentId = "a1", Host = "h", Version = version, StagedAt = version, State = TaskState.Running };
        await writer.UpdateAsync(_ =>
        [
            StateOp.Put(Schema.Apps, app.Id, app), StateOp.Put(Agents, "a1", Agent("a1")), StateOp.Put(Schema.Tasks, task.Id, task),
        ]);
        var failed = new TaskStatusReport { TaskId = task.Id, AppId = "/web", State = "TASK_FAILED", Message = "exited with code 1" };

        store.Refuse = true;
        await Assert.ThrowsAsync<IOException>(() => agents.ReportAsync("a1", [failed], CancellationToken.None));
        Assert.Empty(LaunchQueue.Backoffs(writer.Current));
        Assert.False(recent.TryGet(task.Id, out _, out _));
        Assert.Empty(writer.Current.Entries(Schema.EventLog.Name));
        Assert.NotNull(writer.Current.Get(Schema.Tasks, task.Id));

        store.Refuse = false;
        await agents.ReportAsync("a1", [failed], CancellationToken.None);
        var backoff = Assert.Single(LaunchQueue.Backoffs(writer.Current));
        Assert.Equal(("/web", 1), (backoff.Key, backoff.Value.Failures));
        Assert.True(recent.TryGet(task.Id, out var agentId, out _));
        Assert.Equal("a1", agentId);
        var stored = Assert.Single(writer.Current.All(Schema.EventLog));
        Assert.Equal(["status_update_event", "instance_changed_event"], stored.Events.Select(e => e.Type));
        Assert.Contains("TASK_FAILED", stored.Events[0].Json);
    }

    [Fact(Timeout = 10000)]
    public async Task Two_failures_in_one_report_grow_the_stored_backoff_and_an_old_version_failing_sets_none()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var log = new ServerLog(NullLogger<ServerLog>.Instance);
        var time = TimeProvider.System;
        var agents = new AgentService(writer, new AgentLiveness(time, new ServerOptions()), time, log, new TaskEvents(new EventBus(time, log)), new ServerOptions());
        const string v1 = "2030-01-01T00:00:00.000Z", v2 = "2030-01-02T00:00:00.000Z";
        var app = new AppDefinition { Id = "/web", Version = v2, Instances = 3, Cmd = "x", BackoffSeconds = 1, BackoffFactor = 2 };
        TaskRecord Task(string n, string version) => new() { Id = $"web.instance-{n}._app.1", AppId = "/web", AgentId = "a1", Host = "h", Version = version, StagedAt = v1, State = TaskState.Running };
        var (a, b, old) = (Task("a", v2), Task("b", v2), Task("old", v1));
        await writer.UpdateAsync(_ =>
        [
            StateOp.Put(Schema.Apps, app.Id, app), StateOp.Put(Agents, "a1", Agent("a1")),
            StateOp.Put(Schema.Tasks, a.Id, a), StateOp.Put(Schema.Tasks, b.Id, b), StateOp.Put(Schema.Tasks, old.Id, old),
        ]);

        await agents.ReportAsync("a1", [new TaskStatusReport { TaskId = old.Id, AppId = "/web", State = "TASK_FAILED" }], CancellationToken.None);
        Assert.Empty(LaunchQueue.Backoffs(writer.Current));

        await agents.ReportAsync("a1",
        [
            new TaskStatusReport { TaskId = a.Id, AppId = "/web", State = "TASK_FAILED" },
            new TaskStatusReport { TaskId = b.Id, AppId = "/web", State = "TASK_FAILED" },
        ], CancellationToken.None);
        var backoff = LaunchQueue.Backoffs(writer.Current)["/web"];
        Assert.Equal((2, 2.0), (backoff.Failures, backoff.DelaySeconds));

        // the app is gone: the next pass's resets drop its backoff; nothing stored, nothing to delete
        await writer.UpdateAsync(_ => [StateOp.Delete(Schema.Apps, "/web")]);
        var resets = LaunchQueue.Resets(writer.Current, []).ToList();
        Assert.Equal(Schema.LaunchBackoffs.Name, Assert.Single(resets).Collection);
        await writer.UpdateAsync(_ => resets);
        Assert.Empty(LaunchQueue.Resets(writer.Current, []));
    }

    [Fact(Timeout = 10000)]
    public async Task Ended_tasks_beyond_capacity_are_pruned_oldest_first_and_found_by_agent_and_time()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var t0 = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        TaskRecord Task(int n) => new() { Id = $"web.instance-{n}._app.1", AppId = "/web", AgentId = n % 2 == 0 ? "a1" : "a2", Host = "h", Version = "v", StagedAt = "v" };
        await writer.UpdateAsync(_ => Enumerable.Range(0, RecentTasks.Capacity + 3).Select(n => RecentTasks.Ended(Task(n), t0.AddSeconds(n))).ToList());
        var prune = RecentTasks.Prune(writer.Current).ToList();
        Assert.Equal([RecentTasks.Key(t0, Task(0).Id), RecentTasks.Key(t0.AddSeconds(1), Task(1).Id), RecentTasks.Key(t0.AddSeconds(2), Task(2).Id)], prune.Select(o => o.Key));
        await writer.UpdateAsync(_ => prune);
        Assert.Empty(RecentTasks.Prune(writer.Current));
        Assert.False(new RecentTasks(writer).TryGet(Task(0).Id, out _, out _));
        Assert.True(new RecentTasks(writer).TryGet(Task(3).Id, out var agent, out _));
        Assert.Equal("a2", agent);
        var last = t0.AddSeconds(RecentTasks.Capacity + 2);
        Assert.Equal([Task(RecentTasks.Capacity + 2).Id, Task(RecentTasks.Capacity).Id],
            RecentTasks.EndedOn(writer.Current, "a1", last.AddSeconds(-2)).Select(t => t.Id));
    }

    [Fact(Timeout = 10000)]
    public async Task Queue_waiting_since_is_stored_once_when_an_app_starts_waiting_and_dropped_when_it_stops()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var t0 = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var entry = new Scheduling.QueueEntry { AppId = "/web", App = new AppDefinition { Id = "/web" }, Count = 2 };
        await writer.UpdateAsync(s => LaunchQueue.WaitingChanges(s, [entry], t0).ToList());
        Assert.Equal("2030-01-01T00:00:00.000Z", writer.Current.Get(Schema.QueueWaiting, "/web")?.Since);
        Assert.Empty(LaunchQueue.WaitingChanges(writer.Current, [entry], t0.AddMinutes(1)));
        var gone = Assert.Single(LaunchQueue.WaitingChanges(writer.Current, [], t0.AddMinutes(2)));
        Assert.Null(gone.Value);
    }

    private static AgentInfo Agent(string id) => new()
    {
        Id = id,
        Hostname = "h",
        Resources = new AgentResources { Cpus = 1, MemMb = 1024, DiskMb = 1024, Ports = [new PortRange(31000, 31010)] },
        RegisteredAt = "2030-01-01T00:00:00.000Z",
        LastSeenAt = "2030-01-01T00:00:00.000Z",
    };
}
