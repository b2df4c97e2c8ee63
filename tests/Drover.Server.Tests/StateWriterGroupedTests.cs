using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>
/// Group commit: grouped writes waiting at the same time are decided one after another on the state the earlier ones
/// leave and stored in one batch, and each caller still gets the answer it would get alone.
/// </summary>
public sealed class StateWriterGroupedTests
{
    private static readonly Collection<AgentInfo> Agents = Schema.Agents;

    private static AgentInfo Agent(string id, double cpus = 1) => StateWriterConflictTests.Agent(id, cpus);

    /// <summary>Holds the writer's lock, once it returns, with a write that waits for <paramref name="release"/>, so the next writes queue behind it.</summary>
    private static async Task<Task> Blocker(StateWriter writer, TaskCompletionSource release)
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var write = Task.Run(() => writer.UpdateAsync(s =>
        {
            holding.SetResult();
            release.Task.GetAwaiter().GetResult();
            return [StateOp.Put(Agents, "blocker", Agent("blocker"))];
        }));
        await holding.Task;
        return write;
    }

    [Fact(Timeout = 30000)]
    public async Task Writes_queued_together_land_in_one_batch_each_deciding_on_the_ones_before_it()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = await Blocker(writer, release);
        var effects = new List<int>();
        var decided = 0;
        // each write adds one to a counter: lost updates would show as a lower count
        var writes = Enumerable.Range(1, 20).Select(i => writer.UpdateGroupedAsync<double>((s, fx) =>
        {
            Interlocked.Increment(ref decided);
            var before = s.Get(Agents, "counter")?.Resources.Cpus ?? 0;
            fx.Add(() => { lock (effects) effects.Add(i); });
            return ([StateOp.Put(Agents, "counter", Agent("counter", before + 1))], before + 1);
        })).ToList();
        release.SetResult();
        await blocker;
        var results = await Task.WhenAll(writes);

        Assert.Equal(20, writer.Current.Get(Agents, "counter")!.Resources.Cpus);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (double)i).ToHashSet(), results.Select(r => r.Result).ToHashSet());
        Assert.Equal(20, effects.Count);
        Assert.True(writer.BatchesWritten < 20, $"{writer.BatchesWritten} batches for 20 writes");
        // every caller's snapshot holds its own write
        Assert.All(results, r => Assert.True(r.Snapshot.Get(Agents, "counter")!.Resources.Cpus >= r.Result));
    }

    [Fact(Timeout = 30000)]
    public async Task A_decision_that_throws_fails_only_its_caller_and_a_duplicate_sees_the_write_before_it()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = await Blocker(writer, release);

        Task<(StateSnapshot, bool)> Create(string id) => writer.UpdateGroupedAsync<bool>((s, _) =>
        {
            if (s.Get(Agents, id) is not null) throw new InvalidOperationException($"{id} exists");
            return ([StateOp.Put(Agents, id, Agent(id))], true);
        });
        var first = Create("a1");
        var duplicate = Create("a1");
        var failing = writer.UpdateGroupedAsync<bool>((_, _) => throw new ArgumentException("bad input"));
        var other = Create("a2");
        release.SetResult();
        await blocker;

        Assert.True((await first).Item2);
        Assert.Equal("a1 exists", (await Assert.ThrowsAsync<InvalidOperationException>(() => duplicate)).Message);
        await Assert.ThrowsAsync<ArgumentException>(() => failing);
        Assert.True((await other).Item2);
        Assert.NotNull(writer.Current.Get(Agents, "a2"));
    }

    [Fact(Timeout = 30000)]
    public async Task A_check_and_set_that_fails_in_a_group_fails_alone_and_the_others_land()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Agents, "cas", Agent("cas"))]);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = await Blocker(writer, release);

        var stale = writer.UpdateGroupedAsync<int>((_, _) => ([StateOp.Put(Agents, "cas", Agent("cas", 9), expectedModifyIndex: 12345)], 0));
        var fine = writer.UpdateGroupedAsync<int>((_, _) => ([StateOp.Put(Agents, "b1", Agent("b1"))], 1));
        release.SetResult();
        await blocker;

        await Assert.ThrowsAsync<PreconditionFailedException>(() => stale);
        Assert.Equal(1, (await fine).Result);
        Assert.Equal(1, writer.Current.Get(Agents, "cas")!.Resources.Cpus);
        Assert.NotNull(writer.Current.Get(Agents, "b1"));
    }

    [Fact(Timeout = 30000)]
    public async Task A_group_whose_read_was_overtaken_by_another_writer_is_decided_again()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Agents, "a1", Agent("a1", cpus: 1))]);
        var decisions = new List<double>();
        var (_, sum) = await writer.UpdateGroupedAsync<double>((s, _) =>
        {
            var cpus = s.Get(Agents, "a1")!.Resources.Cpus;
            decisions.Add(cpus);
            if (decisions.Count == 1) store.ApplyAsync([StateOp.Put(Agents, "a1", Agent("a1", cpus: 5))]).GetAwaiter().GetResult();
            return ([StateOp.Put(Agents, "sum", Agent("sum", cpus: cpus + 1))], cpus + 1);
        });
        Assert.Equal([1, 5], decisions);
        Assert.Equal(6, sum);
        Assert.Equal(6, writer.Current.Get(Agents, "sum")!.Resources.Cpus);
    }
}
