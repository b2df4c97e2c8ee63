using Drover.Api.Agents;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Events;
using Drover.Server.Reconcile;
using Drover.Server.Tasks;
using Drover.State;
using Microsoft.Extensions.Logging.Abstractions;

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

    private static readonly Collection<AgentInfo> Agents = Collections.Agents;

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
        using var sub = bus.Subscribe("test", new HashSet<string>());
        var queue = new LaunchQueue(writer, time);
        var recent = new RecentTasks();
        var agents = new AgentService(writer, new AgentLiveness(time), queue, recent, time, log, new TaskEvents(bus));

        const string version = "2030-01-01T00:00:00.000Z";
        var app = new AppDefinition { Id = "/web", Version = version, Instances = 1, Cmd = "x" };
        var task = new TaskRecord { Id = "web.instance-1._app.1", AppId = "/web", AgentId = "a1", Host = "h", Version = version, StagedAt = version, State = TaskState.Running };
        await writer.UpdateAsync(_ =>
        [
            StateOp.Put(Collections.Apps, app.Id, app), StateOp.Put(Agents, "a1", Agent("a1")), StateOp.Put(Collections.Tasks, task.Id, task),
        ]);
        var failed = new TaskStatusReport { TaskId = task.Id, AppId = "/web", State = "TASK_FAILED", Message = "exited with code 1" };

        store.Refuse = true;
        await Assert.ThrowsAsync<IOException>(() => agents.ReportAsync("a1", [failed], CancellationToken.None));
        Assert.Empty(queue.Backoffs);
        Assert.False(recent.TryGet(task.Id, out _, out _));
        Assert.False(sub.Reader.TryRead(out var early), $"no event for a refused write, got {early?.Type}");
        Assert.NotNull(writer.Current.Get(Collections.Tasks, task.Id));

        store.Refuse = false;
        await agents.ReportAsync("a1", [failed], CancellationToken.None);
        Assert.True(queue.Backoffs.ContainsKey("/web"), "the durable failure delays the next launch");
        Assert.True(recent.TryGet(task.Id, out var agentId, out _));
        Assert.Equal("a1", agentId);
        Assert.True(sub.Reader.TryRead(out var evt));
        Assert.Equal("status_update_event", evt.Type);
        Assert.Contains("TASK_FAILED", evt.Json);
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
