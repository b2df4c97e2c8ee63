using Names = System.Collections.Immutable.ImmutableSortedDictionary<char, System.Collections.Immutable.ImmutableSortedSet<string>>;

namespace Drover.State.Tests;

/// <summary>The IStateStore contract; every implementation runs all of it.</summary>
public abstract class StateStoreContractTests : IAsyncLifetime
{
    protected IStateStore Store { get; private set; } = null!;

    protected abstract Task<IStateStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact(Timeout = 30000)]
    public async Task New_store_is_empty()
    {
        Assert.True(Store.Current.Index >= 0);
        Assert.Empty(Store.Current.Collections);
        Assert.Null(Store.Current.Get(Test.Docs, "a"));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30000)]
    public async Task Put_get_delete()
    {
        var afterPut = await Store.ApplyAsync(Test.Put("a", "alpha"), Test.Put("b", "beta"));

        Assert.Equal(afterPut.Index, Store.Current.Index);
        Assert.Equal(new Doc("alpha"), afterPut.Get(Test.Docs, "a"));
        Assert.Equal(["alpha", "beta"], afterPut.All(Test.Docs).Select(d => d.Name));

        var afterDelete = await Store.ApplyAsync(Test.Del("a"));

        Assert.Null(afterDelete.Get(Test.Docs, "a"));
        Assert.Equal(new Doc("beta"), afterDelete.Get(Test.Docs, "b"));
        Assert.Equal(new Doc("alpha"), afterPut.Get(Test.Docs, "a")); // older snapshots never change
    }

    [Fact(Timeout = 30000)]
    public async Task Every_batch_that_changes_something_raises_the_index()
    {
        var start = Store.Current.Index;
        var first = await Store.ApplyAsync(Test.Put("a", "1"), Test.Put("b", "1"), Test.Put("c", "1"));
        var second = await Store.ApplyAsync(Test.Put("a", "2"));
        var third = await Store.ApplyAsync(Test.Del("b"));

        Assert.True(start < first.Index && first.Index < second.Index && second.Index < third.Index, $"{start} {first.Index} {second.Index} {third.Index}");
        Assert.All(first.Entries("docs").Values, e => Assert.Equal(first.Index, e.ModifyIndex)); // one batch, one index
        Assert.True(Store.Current.Index >= third.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task A_batch_without_effect_may_keep_the_index_but_never_lowers_it()
    {
        var written = await Store.ApplyAsync(Test.Put("a", "1"));

        var afterMissingDelete = await Store.ApplyAsync(Test.Del("missing"));
        var afterEmpty = await Store.ApplyAsync([]);

        Assert.True(afterMissingDelete.Index >= written.Index && afterEmpty.Index >= afterMissingDelete.Index);
        Assert.Equal(Test.Dump(written)[Test.Dump(written).IndexOf('\n')..], Test.Dump(afterEmpty)[Test.Dump(afterEmpty).IndexOf('\n')..]);
        Assert.True(Store.Current.Index >= afterEmpty.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Create_index_is_kept_on_update_and_modify_index_follows_each_write()
    {
        var created = await Store.ApplyAsync(Test.Put("a", "1"));
        var other = await Store.ApplyAsync(Test.Put("other", "x"));
        var s = await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.Equal((created.Index, s.Index), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex));
        Assert.Equal(other.Index, s.Entry("docs", "other")!.CreateIndex);

        await Store.ApplyAsync(Test.Del("a"));
        s = await Store.ApplyAsync(Test.Put("a", "3"));
        Assert.True(s.Entry("docs", "a")!.CreateIndex > created.Index);
        Assert.Equal((s.Index, s.Index), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex)); // recreated
    }

    [Fact(Timeout = 30000)]
    public async Task Expected_index_zero_means_create_only()
    {
        var first = await Store.ApplyAsync(Test.Put("a", "first", expected: 0));

        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "second", expected: 0)));

        Assert.Equal(("docs", "a", 0L, first.Index), (ex.Collection, ex.Key, ex.Expected, ex.Actual));
        Assert.Equal("first", Store.Current.Get(Test.Docs, "a")!.Name);
        Assert.Equal(first.Index, Store.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Expected_index_n_is_compare_and_swap()
    {
        var v1 = (await Store.ApplyAsync(Test.Put("a", "v1"))).Index;
        var v2 = (await Store.ApplyAsync(Test.Put("a", "v2", expected: v1))).Index;

        var stale = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "v3", expected: v1)));
        Assert.Equal(v2, stale.Actual);
        var missing = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("nope", "x", expected: v2)));
        Assert.Equal(0, missing.Actual);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Del("a", expected: v1)));

        Assert.Equal("v2", Store.Current.Get(Test.Docs, "a")!.Name);
        var deleted = (await Store.ApplyAsync(Test.Del("a", expected: v2))).Index;
        Assert.Null(Store.Current.Get(Test.Docs, "a"));
        await Store.ApplyAsync(Test.Del("a", expected: 0)); // "must not exist" holds for a delete too
        Assert.True(deleted > v2);
        Assert.True(Store.Current.Index >= deleted);
    }

    [Fact(Timeout = 30000)]
    public async Task A_batch_with_one_failing_precondition_changes_nothing()
    {
        var before = await Store.ApplyAsync(Test.Put("a", "keep"), Test.Put("b", "keep"));

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(
            Test.Put("a", "changed"), Test.Del("b"), StateOp.DeletePrefix("docs", ""), Test.Put("new", "x"), Test.Put("b", "x", expected: 99)));

        Assert.Equal(Test.Dump(before), Test.Dump(Store.Current));
        Assert.True((await Store.ApplyAsync(Test.Put("c", "next"))).Index > before.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Preconditions_see_earlier_ops_of_the_same_batch()
    {
        var start = Store.Current.Index;
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("a", "1", expected: 0), Test.Put("a", "2", expected: 0)));
        Assert.Equal(start, Store.Current.Index);
        Assert.Empty(Store.Current.Collections);

        // The batch's own index is the next one as long as nobody else writes in between (true here).
        var s = await Store.ApplyAsync(Test.Put("a", "1", expected: 0), Test.Put("a", "2", expected: start + 1), Test.Del("a"), Test.Put("a", "3", expected: 0));
        Assert.Equal("3", s.Get(Test.Docs, "a")!.Name);
        Assert.Equal((s.Index, s.Index), (s.Entry("docs", "a")!.CreateIndex, s.Entry("docs", "a")!.ModifyIndex));
    }

    private static readonly Collection<Doc> Others = new("others", TestJsonContext.Default.Doc);

    [Fact(Timeout = 30000)]
    public async Task A_read_check_holds_while_nothing_writes_the_collection_and_writes_of_others_do_not_matter()
    {
        var read = await Store.ApplyAsync(Test.Put("a", "1"));
        await Store.ApplyAsync(StateOp.Put(Others, "x", new Doc("other")));

        var s = await Store.ApplyAsync(StateOp.Unchanged("docs", read.Index), Test.Put("b", "2"));

        Assert.Equal(new Doc("2"), s.Get(Test.Docs, "b"));
        Assert.Equal(s.Index, s.ChangedAt("docs"));
        Assert.True(s.ChangedAt("others") > read.Index && s.ChangedAt("others") < s.Index);
        Assert.Equal(0, s.ChangedAt("never-written"));
    }

    [Theory(Timeout = 30000)]
    [InlineData("put")]
    [InlineData("create")]
    [InlineData("delete")]
    [InlineData("prefix-delete")]
    public async Task A_read_check_fails_after_any_change_to_the_collection_and_writes_nothing(string change)
    {
        var read = await Store.ApplyAsync(Test.Put("a/1", "1"));
        var changed = await Store.ApplyAsync(change switch
        {
            "put" => Test.Put("a/1", "2"),
            "create" => Test.Put("new", "n"),
            "delete" => Test.Del("a/1"),
            _ => StateOp.DeletePrefix("docs", "a/"),
        });

        var ex = await Assert.ThrowsAsync<ReadConflictException>(() => Store.ApplyAsync(StateOp.Unchanged("docs", read.Index), StateOp.Put(Others, "x", new Doc("lost"))));

        Assert.Equal(("docs", read.Index, changed.Index), (ex.Collection, ex.ReadAt, ex.ChangedAt));
        Assert.Null(Store.Current.Get(Others, "x"));
        Assert.Contains("docs changed at index", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30000)]
    public async Task A_batch_that_changes_nothing_does_not_stamp_the_collection()
    {
        var read = await Store.ApplyAsync(Test.Put("a", "1"));
        await Store.ApplyAsync(Test.Del("missing"));

        await Store.ApplyAsync(StateOp.Unchanged("docs", read.Index), Test.Put("b", "2"));
    }

    [Fact(Timeout = 30000)]
    public async Task The_change_stamps_cannot_be_written_by_a_batch_and_a_read_check_needs_its_index()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp(ChangeMarkers.Collection, "docs", [1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp("docs", "", null, null) { IsReadCheck = true }));
        Assert.Null(Store.Current.Entry(ChangeMarkers.Collection, "docs"));
    }

    [Fact(Timeout = 30000)]
    public async Task A_tracking_view_records_the_collections_read_and_shares_the_snapshot()
    {
        var s = await Store.ApplyAsync(Test.Put("a", "1"), StateOp.Put(Others, "x", new Doc("x")));
        var reads = new ReadSet();
        var view = s.Tracking(reads);

        Assert.Equal(new Doc("1"), view.Get(Test.Docs, "a"));
        Assert.Empty(view.WithPrefix("missing-collection", "p"));
        _ = view.ChangedAt("docs");

        Assert.Same(s, view.Root);
        Assert.Equal(s.Index, view.Index);
        Assert.Equal(["docs", "missing-collection"], reads.Collections.Order(StringComparer.Ordinal));
        Assert.Equal([StateOp.Unchanged("docs", s.Index), StateOp.Unchanged("missing-collection", s.Index)], reads.Preconditions(s.Index));
    }

    [Fact(Timeout = 30000)]
    public async Task A_large_batch_applies_whole()
    {
        // a reconcile pass or a group deploy writes hundreds of keys in one batch (etcd refuses more than
        // --max-txn-ops operations in one txn: 128 by default)
        var s = await Store.ApplyAsync(Enumerable.Range(0, 600).Select(i => Test.Put($"k{i:D4}", "v")).ToArray());

        Assert.Equal(600, s.Entries("docs").Count);
        Assert.All(s.Entries("docs").Values, e => Assert.Equal(s.Index, e.ModifyIndex));
    }

    [Fact(Timeout = 30000)]
    public async Task Invalid_ops_are_rejected_without_writing()
    {
        var start = Store.Current.Index;
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(Test.Put("a", "x"), new StateOp("", "k", [1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp("docs", "", [1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(new StateOp("docs", "k", [1], -1)));
        Assert.Equal(start, Store.Current.Index);
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
        Assert.True(Store.Current.Index >= s.Index);
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
        var start = Store.Current.Index;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < batches; i++) await Store.ApplyAsync(Test.Put($"w{w}", $"{i}"), Test.Put($"w{w}-{i}", "x"));
        })));

        Assert.True(Store.Current.Index >= start + writers * batches); // each batch changed something
        Assert.Equal(writers * (batches + 1), Store.Current.Entries("docs").Count);
        Assert.All(Enumerable.Range(0, writers), w => Assert.Equal($"{batches - 1}", Store.Current.Get(Test.Docs, $"w{w}")!.Name));
    }

    [Fact(Timeout = 30000)]
    public async Task A_cancelled_apply_writes_nothing()
    {
        var start = Store.Current.Index;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.ApplyAsync([Test.Put("a", "x")], new CancellationToken(canceled: true)));
        Assert.Equal(start, Store.Current.Index);
        Assert.Empty(Store.Current.Collections);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_yields_the_current_snapshot_at_once_when_it_is_newer()
    {
        var start = Store.Current.Index;
        await Store.ApplyAsync(Test.Put("a", "1"));
        var last = await Store.ApplyAsync(Test.Put("a", "2"));

        await using var watch = Store.WatchAsync(start).GetAsyncEnumerator();

        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Test.Deadline));
        Assert.Equal(last.Index, watch.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_waits_for_a_write_and_wakes_on_it()
    {
        var first = await Store.ApplyAsync(Test.Put("a", "1"));
        await using var watch = Store.WatchAsync(first.Index).GetAsyncEnumerator();

        var next = watch.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        var written = await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.True(await next.WaitAsync(Test.Deadline));
        Assert.Equal(written.Index, watch.Current.Index);
        Assert.Equal("2", watch.Current.Get(Test.Docs, "a")!.Name);

        next = watch.MoveNextAsync().AsTask();
        var third = await Store.ApplyAsync(Test.Put("a", "3"));
        Assert.True(await next.WaitAsync(Test.Deadline));
        Assert.Equal(third.Index, watch.Current.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task Watch_coalesces_for_a_slow_consumer()
    {
        await using var watch = Store.WatchAsync(Store.Current.Index).GetAsyncEnumerator();
        var first = watch.MoveNextAsync().AsTask();
        var written = await Store.ApplyAsync(Test.Put("a", "1"));
        Assert.True(await first.WaitAsync(Test.Deadline));
        Assert.Equal(written.Index, watch.Current.Index);

        for (var i = 2; i <= 6; i++) written = await Store.ApplyAsync(Test.Put("a", $"{i}"));

        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Test.Deadline));
        Assert.Equal(written.Index, watch.Current.Index);
        Assert.Equal("6", watch.Current.Get(Test.Docs, "a")!.Name);
    }

    [Fact(Timeout = 30000)]
    public async Task Many_watchers_all_see_the_latest_write()
    {
        var start = Store.Current.Index;
        var seen = Enumerable.Range(0, 20).Select(async _ =>
        {
            await foreach (var s in Store.WatchAsync(start))
                if (s.Get(Test.Docs, "a")?.Name == "29") return s.Index;
            return -1;
        }).ToArray();

        StateSnapshot written = Store.Current;
        for (var i = 0; i < 30; i++) written = await Store.ApplyAsync(Test.Put("a", $"{i}"));

        Assert.All(await Task.WhenAll(seen).WaitAsync(Test.Deadline), i => Assert.Equal(written.Index, i));
    }

    [Fact(Timeout = 30000)]
    public async Task Cancelling_a_watch_ends_it_with_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await using var watch = Store.WatchAsync(Store.Current.Index, cts.Token).GetAsyncEnumerator();
        var pending = watch.MoveNextAsync().AsTask();
        Assert.False(pending.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Test.Deadline));
    }

    [Fact(Timeout = 30000)]
    public async Task The_enumerator_token_also_cancels_a_watch()
    {
        var start = Store.Current.Index;
        await Store.ApplyAsync(Test.Put("a", "1"));
        using var cts = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var _ in Store.WatchAsync(start).WithCancellation(cts.Token)) count++;
            return count;
        });

        await Store.ApplyAsync(Test.Put("a", "2"));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch.WaitAsync(Test.Deadline));
    }

    [Fact(Timeout = 30000)]
    public async Task Disposing_the_store_ends_watches_and_refuses_writes()
    {
        var start = Store.Current.Index;
        var written = await Store.ApplyAsync(Test.Put("a", "1"));
        var watch = Task.Run(async () =>
        {
            var indexes = new List<long>();
            await foreach (var s in Store.WatchAsync(start)) indexes.Add(s.Index);
            return indexes;
        });
        await Store.WaitForIndexAsync(start, Test.Deadline); // the write is visible; the watcher may or may not have started

        await Store.DisposeAsync();

        Assert.Equal([written.Index], await watch.WaitAsync(Test.Deadline));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.ApplyAsync(Test.Put("a", "2")));
        Assert.Equal(written.Index, Store.Current.Index);
        await Store.DisposeAsync(); // idempotent
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_returns_at_once_when_the_index_is_already_past()
    {
        var start = Store.Current.Index;
        var written = await Store.ApplyAsync(Test.Put("a", "1"));

        var s = await Store.WaitForIndexAsync(start, Timeout.InfiniteTimeSpan).WaitAsync(Test.Deadline);

        Assert.Equal(written.Index, s.Index);
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_wakes_on_the_next_write()
    {
        var first = await Store.ApplyAsync(Test.Put("a", "1"));
        var waiting = Store.WaitForIndexAsync(first.Index, Timeout.InfiniteTimeSpan);
        Assert.False(waiting.IsCompleted);

        var second = await Store.ApplyAsync(Test.Put("a", "2"));

        Assert.Equal(second.Index, (await waiting.WaitAsync(Test.Deadline)).Index);
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_returns_the_current_snapshot_on_timeout()
    {
        var written = await Store.ApplyAsync(Test.Put("a", "1"));

        var s = await Store.WaitForIndexAsync(written.Index, TimeSpan.FromMilliseconds(50)).WaitAsync(Test.Deadline);

        Assert.Equal(Test.Dump(written), Test.Dump(s));
    }

    [Fact(Timeout = 30000)]
    public async Task WaitForIndex_throws_when_its_own_token_is_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var waiting = Store.WaitForIndexAsync(Store.Current.Index + 5, Timeout.InfiniteTimeSpan, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Test.Deadline));
    }

    [Fact(Timeout = 30000)]
    public async Task Views_follow_each_write_by_the_keys_it_changed()
    {
        var view = new NamesByInitial();
        await Store.ApplyAsync(Test.Put("a1", "ant"), Test.Put("b1", "bee"), Test.Put("b2", "bat"));
        Assert.Equal("a:ant|b:bat,bee", NamesByInitial.Show(view.Get(Store.Current)));
        Assert.Equal(1, view.Builds);

        await Store.ApplyAsync(Test.Put("a2", "asp"), Test.Del("b1"), Test.Put("b2", "boa"));
        var after = view.Get(Store.Current);
        Assert.Equal("a:ant,asp|b:boa", NamesByInitial.Show(after));
        Assert.Equal(1, view.Builds); // carried over by the write, not built again
        Assert.True(view.Updates >= 1);

        // a write to another collection leaves the value as it was: the very same object
        await Store.ApplyAsync(StateOp.Put(new Collection<Doc>("other", TestJsonContext.Default.Doc), "x", new Doc("x")));
        Assert.Same(after, view.Get(Store.Current));

        await Store.ApplyAsync(Test.Del("a1"), Test.Del("a2"), Test.Del("b2"));
        Assert.Equal("", NamesByInitial.Show(view.Get(Store.Current)));
        Assert.Equal(1, view.Builds);
    }

    [Fact(Timeout = 30000)]
    public async Task A_view_is_built_once_however_many_readers_ask_at_once()
    {
        var view = new NamesByInitial();
        await Store.ApplyAsync(Test.Put("a1", "ant"));
        var snapshot = Store.Current;
        var values = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => view.Get(snapshot))));
        Assert.All(values, v => Assert.Same(values[0], v));
        Assert.Equal(1, view.Builds);
    }

    [Fact(Timeout = 30000)]
    public async Task A_speculated_snapshot_is_what_the_one_batch_writes_and_writes_nothing_itself()
    {
        var view = new NamesByInitial();
        var s0 = await Store.ApplyAsync(Test.Put("a1", "ant"), Test.Put("b1", "bat"));
        Assert.Equal("a:ant|b:bat", NamesByInitial.Show(view.Get(s0)));
        var pending = s0.Index + 1;

        IReadOnlyList<StateOp> first = [Test.Put("a2", "asp"), Test.Del("a1"), StateOp.Unchanged(Test.Docs.Name, s0.Index)];
        var spec1 = s0.Speculate(first);
        Assert.Equal(s0.Index, spec1.Index); // nothing was written
        Assert.Equal(pending, spec1.Entry(Test.Docs.Name, "a2")!.ModifyIndex);
        // a check-and-set decided on the speculated state: the key's modify index is the one the batch gives it
        IReadOnlyList<StateOp> second = [Test.Put("a2", "asp2", pending), Test.Put("b2", "bee")];
        var spec2 = spec1.Tracking(new ReadSet()).Speculate(second);
        Assert.Equal(pending, spec2.Entry(Test.Docs.Name, "b2")!.ModifyIndex);
        Assert.Equal("a:asp2|b:bat,bee", NamesByInitial.Show(view.Get(spec2)));
        Assert.Equal(1, view.Builds); // carried over, not built again
        Assert.Throws<PreconditionFailedException>(() => spec2.Speculate([Test.Put("b1", "x", 999)]));

        Assert.Equal(s0.Index, Store.Current.Index);
        Assert.Null(Store.Current.Entry(Test.Docs.Name, "a2"));

        var written = await Store.ApplyAsync([.. first, .. second]);
        foreach (var key in new[] { "a1", "a2", "b1", "b2" })
        {
            var (expected, actual) = (spec2.Entry(Test.Docs.Name, key), written.Entry(Test.Docs.Name, key));
            Assert.Equal(expected is null ? null : StateSnapshot.Decode(Test.Docs, expected).Name, actual is null ? null : StateSnapshot.Decode(Test.Docs, actual).Name);
            if (written.Index == pending) Assert.Equal(expected?.ModifyIndex, actual?.ModifyIndex);
        }
    }

    /// <summary>Doc names grouped by their key's first letter; counts its full builds and its updates.</summary>
    private sealed class NamesByInitial() : SnapshotView<Names>(Test.Docs.Name)
    {
        private int _builds;
        private int _updates;
        public int Builds => Volatile.Read(ref _builds);
        public int Updates => Volatile.Read(ref _updates);

        public static string Show(Names v) =>
            string.Join("|", v.Select(kv => kv.Key + ":" + string.Join(",", kv.Value)));

        protected override Names Build(StateSnapshot s)
        {
            Interlocked.Increment(ref _builds);
            Thread.Sleep(20); // long enough for concurrent readers to overlap
            var result = Names.Empty;
            foreach (var e in s.Entries(Test.Docs.Name).Values) result = Add(result, e.Key[0], StateSnapshot.Decode(Test.Docs, e).Name);
            return result;
        }

        protected override Names Update(
            Names before, StateSnapshot after, IReadOnlyList<SnapshotChange> changes)
        {
            Interlocked.Increment(ref _updates);
            var result = before;
            foreach (var c in changes)
            {
                Assert.Equal(Test.Docs.Name, c.Collection);
                if (c.Before is { } old)
                {
                    var set = result[c.Key[0]].Remove(StateSnapshot.Decode(Test.Docs, old).Name);
                    result = set.IsEmpty ? result.Remove(c.Key[0]) : result.SetItem(c.Key[0], set);
                }
                if (c.After is { } now) result = Add(result, c.Key[0], StateSnapshot.Decode(Test.Docs, now).Name);
            }
            return result;
        }

        private static Names Add(
            Names v, char initial, string name) =>
            v.SetItem(initial, v.GetValueOrDefault(initial, System.Collections.Immutable.ImmutableSortedSet<string>.Empty.WithComparer(StringComparer.Ordinal)).Add(name));
    }
}

public sealed class InMemoryStateStoreTests : StateStoreContractTests
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());

    [Fact(Timeout = 30000)]
    public async Task Each_batch_raises_the_index_by_exactly_one_even_without_effect() => await Test.AssertCountsEveryBatch(Store);

    [Fact(Timeout = 30000)]
    public async Task A_collection_that_keeps_written_values_hands_out_the_written_object_and_others_decode()
    {
        var kept = new Collection<Doc>("kept", TestJsonContext.Default.Doc) { KeepsWrittenValue = true };
        var (keptDoc, plainDoc) = (new Doc("x", 1), new Doc("y", 2));
        var s = await Store.ApplyAsync(StateOp.Put(kept, "k", keptDoc), StateOp.Put(Test.Docs, "p", plainDoc));
        Assert.Same(keptDoc, s.Get(kept, "k"));
        Assert.NotSame(plainDoc, s.Get(Test.Docs, "p"));
        Assert.Equal(plainDoc, s.Get(Test.Docs, "p"));
    }

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
