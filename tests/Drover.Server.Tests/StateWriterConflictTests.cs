using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>
/// A write lands only if the collections its decision read are unchanged in the store; when another writer got there
/// first, the writer decides again on a snapshot that includes that write.
/// </summary>
public sealed class StateWriterConflictTests
{
    private static readonly Collection<AgentInfo> Agents = Schema.Agents;

    internal static AgentInfo Agent(string id, double cpus = 1) =>
        new() { Id = id, Hostname = id, Resources = new AgentResources { Cpus = cpus, MemMb = 64 }, RegisteredAt = "2030-01-01T00:00:00.000Z", LastSeenAt = "2030-01-01T00:00:00.000Z" };

    [Fact(Timeout = 10000)]
    public async Task A_write_whose_read_was_overtaken_is_decided_again_on_the_newer_state_and_its_effects_run_once()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Agents, "a1", Agent("a1", cpus: 1))]);
        var decisions = new List<double>();
        var effectsRun = 0;

        await writer.UpdateAsync((s, effects) =>
        {
            var cpus = s.Get(Agents, "a1")!.Resources.Cpus;
            decisions.Add(cpus);
            // the first time, another writer (another server, through the same store) changes what was just read
            if (decisions.Count == 1) store.ApplyAsync([StateOp.Put(Agents, "a1", Agent("a1", cpus: 5))]).GetAwaiter().GetResult();
            effects.Add(() => effectsRun++);
            return [StateOp.Put(Agents, "sum", Agent("sum", cpus: cpus + 1))];
        });

        Assert.Equal([1, 5], decisions);
        Assert.Equal(6, writer.Current.Get(Agents, "sum")!.Resources.Cpus); // decided on the other writer's value, not lost over it
        Assert.Equal(1, effectsRun);
    }

    [Fact(Timeout = 10000)]
    public async Task A_write_of_a_collection_the_decision_did_not_read_is_no_conflict()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var decisions = 0;

        await writer.UpdateAsync(s =>
        {
            decisions++;
            _ = s.Get(Agents, "a1");
            store.ApplyAsync([StateOp.Put(Schema.Apps, "/other", new Core.Apps.AppDefinition { Id = "/other" })]).GetAwaiter().GetResult();
            return [StateOp.Put(Agents, "a1", Agent("a1"))];
        });

        Assert.Equal(1, decisions);
        Assert.NotNull(writer.Current.Get(Agents, "a1"));
    }

    [Fact(Timeout = 10000)]
    public async Task A_write_overtaken_every_time_gives_up_after_the_last_attempt_and_writes_nothing()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var decisions = 0;
        var ran = false;

        var ex = await Assert.ThrowsAsync<ReadConflictException>(() => writer.UpdateAsync((s, effects) =>
        {
            decisions++;
            _ = s.Get(Agents, "a1");
            store.ApplyAsync([StateOp.Put(Agents, "a1", Agent("a1", cpus: decisions))]).GetAwaiter().GetResult();
            effects.Add(() => ran = true);
            return [StateOp.Put(Agents, "mine", Agent("mine"))];
        }));

        Assert.Equal(StateWriter.MaxAttempts, decisions);
        Assert.Equal(Schema.Agents.Name, ex.Collection);
        Assert.Null(writer.Current.Get(Agents, "mine"));
        Assert.False(ran);
    }

    [Fact(Timeout = 10000)]
    public async Task Reads_through_the_task_index_are_compared_too()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var decisions = 0;

        await writer.UpdateAsync(s =>
        {
            decisions++;
            var onAgent = TaskIndex.OnAgent(s, "a1").Count();
            if (decisions == 1)
                store.ApplyAsync([StateOp.Put(Schema.Tasks, "t1", new TaskRecord { Id = "t1", AppId = "/x", AgentId = "a1", Host = "a1", Version = "2030-01-01T00:00:00.000Z", StagedAt = "2030-01-01T00:00:00.000Z" })]).GetAwaiter().GetResult();
            return [StateOp.Put(Agents, "count", Agent("count", cpus: onAgent))];
        });

        Assert.Equal(2, decisions);
        Assert.Equal(1, writer.Current.Get(Agents, "count")!.Resources.Cpus);
    }
}
