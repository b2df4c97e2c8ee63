using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>
/// A decision made outside the writer's lock (a reconcile pass) lands only if what it read is unchanged, where the
/// collections it checks key by key only need the keys it writes unchanged; otherwise nothing is written and nothing runs.
/// </summary>
public sealed class StateWriterDecidedTests
{
    private static readonly string[] TasksKeyChecked = [Schema.Tasks.Name];

    private static TaskRecord Task(string id, TaskState state = TaskState.Staging) =>
        new() { Id = id, AppId = "/app", AgentId = "a1", Host = "h", Version = "v1", StagedAt = "2030-01-01T00:00:00.000Z", State = state };

    private static AgentInfo Agent(string id) =>
        new() { Id = id, Hostname = id, Resources = new AgentResources { Cpus = 1, MemMb = 64 }, RegisteredAt = "2030-01-01T00:00:00.000Z", LastSeenAt = "2030-01-01T00:00:00.000Z" };

    private static async Task<(InMemoryStateStore Store, StateWriter Writer)> StartAsync()
    {
        var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Schema.Tasks, "t1", Task("t1")), StateOp.Put(Schema.Tasks, "t2", Task("t2")), StateOp.Put(Schema.Agents, "a1", Agent("a1"))]);
        return (store, writer);
    }

    /// <summary>Decides as a pass does: reads every task and the agents, marks t1 for kill, launches t3.</summary>
    private static (StateSnapshot Snap, ReadSet Reads, IReadOnlyList<StateOp> Ops, WriteEffects Effects) Decide(StateWriter writer, Action ran)
    {
        var snap = writer.Current;
        var reads = new ReadSet();
        var tracked = snap.Tracking(reads);
        _ = tracked.All(Schema.Tasks).Count();
        _ = tracked.Get(Schema.Agents, "a1");
        var effects = new WriteEffects();
        effects.Add(ran);
        IReadOnlyList<StateOp> ops = [StateOp.Put(Schema.Tasks, "t1", Task("t1") with { KillRequested = true }), StateOp.Put(Schema.Tasks, "t3", Task("t3"))];
        return (snap, reads, KeyChecks.Add(snap, ops, TasksKeyChecked), effects);
    }

    [Fact(Timeout = 10000)]
    public async Task It_lands_when_only_other_tasks_changed_meanwhile()
    {
        var (store, writer) = await StartAsync();
        await using var _ = store;
        var ran = 0;
        var d = Decide(writer, () => ran++);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "t2", Task("t2", TaskState.Running))]); // an agent's report

        Assert.True(await writer.TryWriteDecidedAsync(d.Snap, d.Reads, TasksKeyChecked, d.Ops, d.Effects));

        Assert.True(writer.Current.Get(Schema.Tasks, "t1")!.KillRequested);
        Assert.NotNull(writer.Current.Get(Schema.Tasks, "t3"));
        Assert.Equal(TaskState.Running, writer.Current.Get(Schema.Tasks, "t2")!.State);
        Assert.Equal(1, ran);
    }

    [Fact(Timeout = 10000)]
    public async Task It_is_refused_without_a_trace_when_a_task_it_writes_changed()
    {
        var (store, writer) = await StartAsync();
        await using var _ = store;
        var ran = 0;
        var d = Decide(writer, () => ran++);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "t1", Task("t1", TaskState.Running))]);

        Assert.False(await writer.TryWriteDecidedAsync(d.Snap, d.Reads, TasksKeyChecked, d.Ops, d.Effects));

        Assert.Equal(TaskState.Running, writer.Current.Get(Schema.Tasks, "t1")!.State); // the report is not lost under a stale kill mark
        Assert.False(writer.Current.Get(Schema.Tasks, "t1")!.KillRequested);
        Assert.Null(writer.Current.Get(Schema.Tasks, "t3"));
        Assert.Equal(0, ran);
    }

    [Fact(Timeout = 10000)]
    public async Task It_is_refused_when_a_collection_it_read_as_a_whole_changed()
    {
        var (store, writer) = await StartAsync();
        await using var _ = store;
        var ran = 0;
        var d = Decide(writer, () => ran++);
        await store.ApplyAsync([StateOp.Put(Schema.Agents, "a2", Agent("a2"))]);

        Assert.False(await writer.TryWriteDecidedAsync(d.Snap, d.Reads, TasksKeyChecked, d.Ops, d.Effects));

        Assert.Null(writer.Current.Get(Schema.Tasks, "t3"));
        Assert.Equal(0, ran);
    }
}
