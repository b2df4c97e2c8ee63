using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

/// <summary>What only a shared, networked store has: other writers, a watch that breaks, fencing.</summary>
public sealed class EtcdStateStoreTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>, IDisposable
{
    private readonly EtcdClient _client = EtcdClient.Create(etcd.Cluster.Endpoints);
    private readonly string _prefix = SingleEtcd.NewPrefix();

    private Task<EtcdStateStore> OpenAsync(EtcdWriteGuard? guard = null) =>
        EtcdStateStore.OpenAsync(_client, new EtcdStateStoreOptions { Prefix = _prefix }).ContinueWith(t =>
        {
            t.Result.WriteGuard = guard;
            return t.Result;
        }, TaskScheduler.Default);

    public void Dispose() => _client.Dispose();

    [Fact(Timeout = 30000)]
    public async Task Two_stores_on_one_prefix_see_each_others_writes_in_Current_and_watches()
    {
        await using var a = await OpenAsync();
        await using var b = await OpenAsync();
        var watchB = b.WatchAsync(b.Current.Index).GetAsyncEnumerator();

        var written = await a.ApplyAsync(Test.Put("x", "from a"));

        Assert.True(await watchB.MoveNextAsync().AsTask().WaitAsync(Test.Deadline));
        Assert.Equal(written.Index, watchB.Current.Index);
        Assert.Equal("from a", watchB.Current.Get(Test.Docs, "x")!.Name);
        Assert.Equal(Test.Dump(written), Test.Dump(b.Current));

        var fromB = await b.ApplyAsync(Test.Put("x", "from b", expected: written.Index));
        var seenByA = await a.WaitForIndexAsync(written.Index, Test.Deadline);
        Assert.Equal(fromB.Index, seenByA.Index);
        Assert.Equal(("from b", written.Index, fromB.Index),
            (seenByA.Get(Test.Docs, "x")!.Name, seenByA.Entry("docs", "x")!.CreateIndex, seenByA.Entry("docs", "x")!.ModifyIndex));
        await watchB.DisposeAsync();

        await using var late = await OpenAsync(); // a third one loads what both wrote
        Assert.Equal(Test.Dump(a.Current), Test.Dump(late.Current));
    }

    [Fact(Timeout = 30000)]
    public async Task A_precondition_race_between_two_stores_has_exactly_one_winner()
    {
        await using var a = await OpenAsync();
        await using var b = await OpenAsync();
        for (var round = 0; round < 10; round++)
        {
            var key = $"race{round}";
            var results = await Task.WhenAll(
                Outcome(a.ApplyAsync(Test.Put(key, "a", expected: 0))),
                Outcome(b.ApplyAsync(Test.Put(key, "b", expected: 0))));

            Assert.Equal(1, results.Count(r => r is null));
            var loser = Assert.IsType<PreconditionFailedException>(results.Single(r => r is not null));
            Assert.Equal(("docs", key, 0L), (loser.Collection, loser.Key, loser.Expected));
            Assert.True(loser.Actual > 0);
            var winner = results[0] is null ? "a" : "b";
            Assert.Equal(winner, (await a.WaitForIndexAsync(loser.Actual - 1, Test.Deadline)).Get(Test.Docs, key)!.Name);
        }
    }

    [Fact(Timeout = 30000)]
    public async Task A_write_based_on_a_stale_snapshot_fails_and_the_store_catches_up()
    {
        await using var a = await OpenAsync();
        var v1 = await a.ApplyAsync(Test.Put("k", "1"));
        // Another writer moves the key behind the store's back (straight through etcd).
        var put = await _client.PutAsync(new PutRequest(EtcdKeys.Utf8(_prefix + "docs/k"), Test.Docs.Serialize(new Doc("other"))));

        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() => a.ApplyAsync(Test.Put("k", "2", expected: v1.Index)));

        Assert.Equal(put.Header!.Revision, ex.Actual);
        Assert.Equal("other", a.Current.Get(Test.Docs, "k")!.Name); // caught up, so a retry reads the winner
    }

    [Fact(Timeout = 30000)]
    public async Task A_prefix_delete_also_removes_keys_the_store_has_not_seen_and_keeps_puts_after_it()
    {
        await using var a = await OpenAsync();
        await a.ApplyAsync(Test.Put("app/1", "x"), Test.Put("app/2", "x"), Test.Put("apq", "keep"));
        await a.ApplyAsync(StateOp.DeletePrefix("docs", "app/"), Test.Put("app/2", "new"), Test.Put("app/3", "new"), Test.Del("app/1"));

        var range = await _client.RangeAsync(new RangeRequest(EtcdKeys.Utf8(_prefix + "docs/"), EtcdKeys.PrefixEnd(EtcdKeys.Utf8(_prefix + "docs/"))));
        Assert.Equal([_prefix + "docs/app/2", _prefix + "docs/app/3", _prefix + "docs/apq"],
            range.Kvs!.Select(kv => System.Text.Encoding.UTF8.GetString(kv.Key)));
        Assert.Equal(["app/2", "app/3", "apq"], a.Current.Entries("docs").Keys);
    }

    [Fact(Timeout = 30000)]
    public async Task A_collection_name_with_a_slash_is_refused_without_writing()
    {
        await using var a = await OpenAsync();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => a.ApplyAsync(new StateOp("a/b", "k", [1])));
        Assert.Contains("must not contain '/'", ex.Message);
        Assert.Empty(a.Current.Collections);
    }

    [Fact(Timeout = 30000)]
    public async Task A_write_under_a_guard_whose_key_changed_is_fenced_and_writes_nothing()
    {
        var guardKey = _prefix.TrimEnd('/') + "-leader";
        var held = await _client.PutAsync(new PutRequest(EtcdKeys.Utf8(guardKey), "me"u8.ToArray()));
        await using var a = await OpenAsync(new EtcdWriteGuard(guardKey, held.Header!.Revision));
        var ok = await a.ApplyAsync(Test.Put("k", "while leader"));

        // Deposed: the key is deleted and recreated by someone else (a new term).
        await _client.DeleteRangeAsync(new DeleteRangeRequest(EtcdKeys.Utf8(guardKey)));
        var other = await _client.PutAsync(new PutRequest(EtcdKeys.Utf8(guardKey), "other"u8.ToArray()));

        var ex = await Assert.ThrowsAsync<FencedWriteException>(() => a.ApplyAsync(Test.Put("k", "after"), Test.Put("new", "x")));

        Assert.Equal(other.Header!.Revision, ex.Actual);
        Assert.Contains(guardKey, ex.Message);
        // nothing of the fenced write landed: the data and the change stamp are as the leader left them
        var range = await _client.RangeAsync(new RangeRequest(EtcdKeys.Utf8(_prefix), EtcdKeys.PrefixEnd(EtcdKeys.Utf8(_prefix))));
        Assert.Equal([ok.Index, ok.Index], range.Kvs!.Select(kv => kv.ModRevision));
        Assert.Equal("while leader", a.Current.Get(Test.Docs, "k")!.Name);
    }

    [Fact(Timeout = 60000)]
    public async Task The_watch_resumes_after_the_etcd_member_restarts()
    {
        await using var a = await OpenAsync();
        await a.ApplyAsync(Test.Put("k", "before"));

        etcd.Cluster.Kill(0);
        try
        {
            await Assert.ThrowsAnyAsync<EtcdException>(() => a.ApplyAsync(Test.Put("k", "while down")));
            Assert.Equal("before", a.Current.Get(Test.Docs, "k")!.Name); // reads keep serving the last snapshot
        }
        finally
        {
            etcd.Cluster.Restart(0);
            await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(20));
        }

        // Written by another client: only the resumed watch can bring it to this store.
        using var other = EtcdClient.Create(etcd.Cluster.Endpoints);
        var put = await other.PutAsync(new PutRequest(EtcdKeys.Utf8(_prefix + "docs/k"), Test.Docs.Serialize(new Doc("after"))));
        var seen = await a.WaitForIndexAsync(put.Header!.Revision - 1, TimeSpan.FromSeconds(20));

        Assert.Equal("after", seen.Get(Test.Docs, "k")!.Name);
        Assert.Equal("again", (await a.ApplyAsync(Test.Put("k", "again"))).Get(Test.Docs, "k")!.Name);
    }

    private static async Task<Exception?> Outcome(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
