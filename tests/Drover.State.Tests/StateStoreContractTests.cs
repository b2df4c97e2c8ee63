namespace Drover.State.Tests;

/// <summary>The IStateStore contract; every implementation runs all of it.</summary>
public abstract class StateStoreContractTests : IAsyncLifetime
{
    protected IStateStore Store { get; private set; } = null!;

    protected abstract Task<IStateStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact(Timeout = 30000)]
    public async Task New_store_is_empty_at_index_zero()
    {
        Assert.Equal(0, Store.Current.Index);
        Assert.Empty(Store.Current.Collections);
        Assert.Null(Store.Current.Get(Test.Docs, "a"));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30000)]
    public async Task Put_get_delete()
    {
        var afterPut = await Store.ApplyAsync(Test.Put("a", "alpha"), Test.Put("b", "beta"));

        Assert.Same(afterPut, Store.Current);
        Assert.Equal(new Doc("alpha"), afterPut.Get(Test.Docs, "a"));
        Assert.Equal(["alpha", "beta"], afterPut.All(Test.Docs).Select(d => d.Name));

        var afterDelete = await Store.ApplyAsync(Test.Del("a"));

        Assert.Null(afterDelete.Get(Test.Docs, "a"));
        Assert.Equal(new Doc("beta"), afterDelete.Get(Test.Docs, "b"));
        Assert.Equal(new Doc("alpha"), afterPut.Get(Test.Docs, "a")); // older snapshots never change
    }

    [Fact(Timeout = 30000)]
    public async Task Each_batch_raises_the_index_by_exactly_one_even_without_effect()
    {
        Assert.Equal(1, (await Store.ApplyAsync(Test.Put("a", "1"), Test.Put("b", "1"), Test.Put("c", "1"))).Index);
        Assert.Equal(2, (await Store.ApplyAsync(Test.Put("a", "2"))).Index);
        Assert.Equal(3, (await Store.ApplyAsync(Test.Del("missing"))).Index);
        Assert.Equal(4, (await Store.ApplyAsync([])).Index);
        Assert.Equal(4, Store.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Create_index_is_kept_on_update_and_modify_index_follows_each_write()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        await Store.ApplyAsync(Test.Put("other", "x"));
        var s = await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.Equal((1L, 3L), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex));
        Assert.Equal(2, s.Entry("docs", "other")!.CreateIndex);

        await Store.ApplyAsync(Test.Del("a"));
        s = await Store.ApplyAsync(Test.Put("a", "3"));
        Assert.Equal((5, 5), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex)); // recreated
    }

    [Fact(Timeout = 30000)]
    public async Task Expected_index_zero_means_create_only()
    {
        await Store.ApplyAsync(Test.Put("a", "first", expected: 0));

        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "second", expected: 0)));

        Assert.Equal(("docs", "a", 0L, 1L), (ex.Collection, ex.Key, ex.Expected, ex.Actual));
        Assert.Equal("first", Store.Current.Get(Test.Docs, "a")!.Name);
        Assert.Equal(1, Store.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Expected_index_n_is_compare_and_swap()
    {
        await Store.ApplyAsync(Test.Put("a", "v1"));
        await Store.ApplyAsync(Test.Put("a", "v2", expected: 1));

        var stale = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "v3", expected: 1)));
        Assert.Equal(2, stale.Actual);
        var missing = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("nope", "x", expected: 2)));
        Assert.Equal(0, missing.Actual);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Del("a", expected: 1)));

        Assert.Equal("v2", Store.Current.Get(Test.Docs, "a")!.Name);
        await Store.ApplyAsync(Test.Del("a", expected: 2));
        Assert.Null(Store.Current.Get(Test.Docs, "a"));
        await Store.ApplyAsync(Test.Del("a", expected: 0)); // "must not exist" holds for a delete too
        Assert.Equal(4, Store.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task A_batch_with_one_failing_precondition_changes_nothing()
    {
        var before = await Store.ApplyAsync(Test.Put("a", "keep"), Test.Put("b", "keep"));

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(
            Test.Put("a", "changed"), Test.Del("b"), StateOp.DeletePrefix("docs", ""), Test.Put("new", "x"), Test.Put("b", "x", expected: 99)));

        Assert.Same(before, Store.Current);
        Assert.Equal(Test.Dump(before), Test.Dump(Store.Current));
        Assert.Equal(2, (await Store.ApplyAsync(Test.Put("c", "next"))).Index); // the failed batch used no index
    }

    [Fact(Timeout = 30000)]
    public async Task Preconditions_see_earlier_ops_of_the_same_batch()
    {
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "1", expected: 0), Test.Put("a", "2", expected: 0)));
        Assert.Equal(0, Store.Current.Index);

        var s = await Store.ApplyAsync(Test.Put("a", "1", expected: 0), Test.Put("a", "2", expected: 1), Test.Del("a"), Test.Put("a", "3", expected: 0));
        Assert.Equal("3", s.Get(Test.Docs, "a")!.Name);
        Assert.Equal((1L, 1L), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex));
    }

    [Fact(Timeout = 30000)]
    public async Task Invalid_ops_are_rejected_without_writing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(Test.Put("a", "x"), new StateOp("", "k", [1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp("docs", "", [1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp("docs", "k", [1], -1)));
        Assert.Equal(0, Store.Current.Index);
        Assert.Empty(Store.Current.Collections);
    }

    [Fact(Timeout = 30000)]
    public async Task DeletePrefix_removes_exactly_the_matching_keys()
    {
        await Store.ApplyAsync(Test.Put("app/a", "1"), Test.Put("app/a/1", "2"), Test.Put("app/b", "3"), Test.Put("app", "4"), Test.Put("apq", "5"),
            new StateOp("other", "app/a", [1]));

        var s = await Store.ApplyAsync(StateOp.DeletePrefix("docs", "app/a"));

        Assert.Equal(["app", "app/b", "apq"], s.Entries("docs").Keys);
        Assert.NotNull(s.Entry("other", "app/a"));

        s = await Store.ApplyAsync(StateOp.DeletePrefix("docs", ""), StateOp.DeletePrefix("nothing-here", "x"));
        Assert.False(s.Collections.ContainsKey("docs")); // emptied collections disappear
        Assert.Empty(s.Entries("docs"));
        Assert.Equal(3, s.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task WithPrefix_returns_the_matching_entries_in_ordinal_order()
    {
        string[] keys = ["a", "a/", "a/b", "a/c", "a0", "A/x", "a/\uffff", "a/\U0001F600", "b/a", "a."];
        await Store.ApplyAsync(keys.Select(k => Test.Put(k, k)).ToArray());

        var s = Store.Current;
        Assert.Equal(["a/", "a/b", "a/c", "a/\U0001F600", "a/\uffff"], s.WithPrefix("docs", "a/").Select(e => e.Key));
        Assert.Equal(keys.Order(StringComparer.Ordinal), s.WithPrefix("docs", "").Select(e => e.Key));
        Assert.Empty(s.WithPrefix("docs", "c"));
        Assert.Empty(s.WithPrefix("missing", "a"));
    }

    [Fact(Timeout = 30000)]
    public async Task Concurrent_writers_are_serialized()
    {
        const int writers = 8, batches = 25;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < batches; i++) await Store.ApplyAsync(Test.Put($"w{w}", $"{i}"), Test.Put($"w{w}-{i}", "x"));
        })));

        Assert.Equal(writers * batches, Store.Current.Index);
        Assert.Equal(writers * (batches + 1), Store.Current.Entries("docs").Count);
        Assert.All(Enumerable.Range(0, writers), w => Assert.Equal($"{batches - 1}", Store.Current.Get(Test.Docs, $"w{w}")!.Name));
    }

    [Fact(Timeout = 30000)]
    public async Task A_cancelled_apply_writes_nothing()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.ApplyAsync([Test.Put("a", "x")], new CancellationToken(canceled: true)));
        Assert.Equal(0, Store.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_yields_the_current_snapshot_at_once_when_it_is_newer()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        await Store.ApplyAsync(Test.Put("a", "2"));

        await using var watch = Store.WatchAsync(0).GetAsyncEnumerator();

        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Test.Deadline));
        Assert.Equal(2, watch.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_waits_for_a_write_and_wakes_on_it()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        await using var watch = Store.WatchAsync(1).GetAsyncEnumerator();

        var next = watch.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        var written = await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.True(await next.WaitAsync(Test.Deadline));
        Assert.Same(written, watch.Current);

        next = watch.MoveNextAsync().AsTask();
        await Store.ApplyAsync(Test.Put("a", "3"));
        Assert.True(await next.WaitAsync(Test.Deadline));
        Assert.Equal(3, watch.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_coalesces_for_a_slow_consumer()
    {
        await using var watch = Store.WatchAsync(0).GetAsyncEnumerator();
        var first = watch.MoveNextAsync().AsTask();
        await Store.ApplyAsync(Test.Put("a", "1"));
        Assert.True(await first.WaitAsync(Test.Deadline));
        Assert.Equal(1, watch.Current.Index);

        for (var i = 2; i <= 6; i++) await Store.ApplyAsync(Test.Put("a", $"{i}"));

        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Test.Deadline));
        Assert.Equal(6, watch.Current.Index);
        Assert.Equal("6", watch.Current.Get(Test.Docs, "a")!.Name);
    }

    [Fact(Timeout = 30000)]
    public async Task Many_watchers_all_see_the_latest_write()
    {
        var seen = Enumerable.Range(0, 20).Select(async _ =>
        {
            await foreach (var s in Store.WatchAsync(0))
                if (s.Index >= 30) return s.Index;
            return -1;
        }).ToArray();

        for (var i = 0; i < 30; i++) await Store.ApplyAsync(Test.Put("a", $"{i}"));

        Assert.All(await Task.WhenAll(seen).WaitAsync(Test.Deadline), i => Assert.Equal(30, i));
    }

    [Fact(Timeout = 30000)]
    public async Task Cancelling_a_watch_ends_it_with_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await using var watch = Store.WatchAsync(0, cts.Token).GetAsyncEnumerator();
        var pending = watch.MoveNextAsync().AsTask();
        Assert.False(pending.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Test.Deadline));
    }

    [Fact(Timeout = 30000)]
    public async Task The_enumerator_token_also_cancels_a_watch()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        using var cts = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var _ in Store.WatchAsync(0).WithCancellation(cts.Token)) count++;
            return count;
        });

        await Store.ApplyAsync(Test.Put("a", "2"));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch.WaitAsync(Test.Deadline));
    }

    [Fact(Timeout = 30000)]
    public async Task Disposing_the_store_ends_watches_and_refuses_writes()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        var watch = Task.Run(async () =>
        {
            var indexes = new List<long>();
            await foreach (var s in Store.WatchAsync(0)) indexes.Add(s.Index);
            return indexes;
        });
        await Store.WaitForIndexAsync(0, Test.Deadline); // the write is visible; the watcher may or may not have started

        await Store.DisposeAsync();

        Assert.Equal([1L], await watch.WaitAsync(Test.Deadline));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.ApplyAsync(Test.Put("a", "2")));
        Assert.Equal(1, Store.Current.Index);
        await Store.DisposeAsync(); // idempotent
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_returns_at_once_when_the_index_is_already_past()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));

        var s = await Store.WaitForIndexAsync(0, Timeout.InfiniteTimeSpan).WaitAsync(Test.Deadline);

        Assert.Equal(1, s.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_wakes_on_the_next_write()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        var waiting = Store.WaitForIndexAsync(1, Timeout.InfiniteTimeSpan);
        Assert.False(waiting.IsCompleted);

        await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.Equal(2, (await waiting.WaitAsync(Test.Deadline)).Index);
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_returns_the_current_snapshot_on_timeout()
    {
        var written = await Store.ApplyAsync(Test.Put("a", "1"));

        var s = await Store.WaitForIndexAsync(1, TimeSpan.FromMilliseconds(50)).WaitAsync(Test.Deadline);

        Assert.Same(written, s);
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_throws_when_its_own_token_is_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var waiting = Store.WaitForIndexAsync(5, Timeout.InfiniteTimeSpan, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Test.Deadline));
    }
}

public sealed class InMemoryStateStoreTests : StateStoreContractTests
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());

    [Fact(Timeout = 30000)]
    public async Task A_seed_snapshot_with_another_key_order_still_deletes_whole_prefixes()
    {
        var docs = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(Comparer<string>.Create((x, y) => string.CompareOrdinal(y, x)),
            new[] { "a/1", "B", "a/2", "b/1" }.Select(k => KeyValuePair.Create(k, new StateEntry(k, [1], 1, 1))));
        await using var store = new InMemoryStateStore(new StateSnapshot(1,
            System.Collections.Immutable.ImmutableDictionary<string, System.Collections.Immutable.ImmutableSortedDictionary<string, StateEntry>>.Empty.Add("docs", docs)));

        Assert.Equal(["a/1", "a/2"], store.Current.WithPrefix("docs", "a/").Select(e => e.Key).Order(StringComparer.Ordinal));
        var s = await store.ApplyAsync(StateOp.DeletePrefix("docs", "a/"));

        Assert.Equal(["B", "b/1"], s.Entries("docs").Keys);
    }
}
