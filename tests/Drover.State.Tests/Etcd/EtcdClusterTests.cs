using System.Diagnostics;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;
using Xunit.Abstractions;

namespace Drover.State.Tests.Etcd;

/// <summary>Three etcd members (a fresh cluster per test: each test kills members).</summary>
public sealed class EtcdClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Healthy = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120000)]
    public async Task One_member_down_changes_nothing_two_down_refuse_writes_clearly_and_quorum_back_resumes_them()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        using var client = EtcdClient.Create(cluster.Endpoints);
        await using var store = await EtcdStateStore.OpenAsync(client, new EtcdStateStoreOptions { Prefix = SingleEtcd.NewPrefix() });
        await store.ApplyAsync(Test.Put("k", "1"));

        cluster.Kill(0); // the member the client prefers: writes and the watch move on to the others
        // If it was the raft leader, a write proposed during the re-election is dropped and etcd answers it only
        // after its own request timeout (~6 s): wait until the survivors have a leader, as a client retrying would.
        await cluster.WaitHealthyAsync(Healthy);
        var second = await store.ApplyAsync(Test.Put("k", "2"));
        Assert.Equal("2", second.Get(Test.Docs, "k")!.Name);

        cluster.Kill(1);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<EtcdException>(() => store.ApplyAsync(Test.Put("k", "3")));
        clock.Stop();
        output.WriteLine($"lost quorum answered in {clock.ElapsedMilliseconds} ms: {ex.Message}");

        Assert.IsType<EtcdUnavailableException>(ex);
        Assert.Contains("no leader", ex.Message);
        Assert.Contains("quorum lost", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("2", store.Current.Get(Test.Docs, "k")!.Name); // reads keep serving the last snapshot

        cluster.Restart(0);
        cluster.Restart(1);
        await cluster.WaitHealthyAsync(Healthy);
        var healed = await Eventually(() => store.ApplyAsync(Test.Put("k", "4")));
        Assert.Equal("4", healed.Get(Test.Docs, "k")!.Name);
    }

    [Fact(Timeout = 120000)]
    public async Task A_watch_that_resumes_past_a_compaction_reloads_the_whole_prefix()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        var prefix = SingleEtcd.NewPrefix();
        // This store talks to member 0 only; the others go on without it.
        using var onlyFirst = new EtcdClient([cluster.ClientUrl(0)]);
        await using var store = await EtcdStateStore.OpenAsync(onlyFirst, new EtcdStateStoreOptions { Prefix = prefix });
        using var others = new EtcdClient([cluster.ClientUrl(1), cluster.ClientUrl(2)]);
        await using var writer = await EtcdStateStore.OpenAsync(others, new EtcdStateStoreOptions { Prefix = prefix });
        await writer.ApplyAsync(Test.Put("gone", "x"), Test.Put("kept", "1"));
        await store.WaitForIndexAsync(store.Current.Index, Test.Deadline);
        Assert.NotNull(store.Current.Entry("docs", "gone"));

        cluster.Kill(0);
        await cluster.WaitHealthyAsync(Healthy); // the survivors have a leader (see the test above)
        await writer.ApplyAsync(Test.Del("gone"));
        var last = await writer.ApplyAsync(Test.Put("kept", "2"), Test.Put("new", "3"));
        await writer.CompactToAsync(last.Index);
        cluster.Restart(0);

        var seen = await Eventually(async () =>
        {
            var s = await store.WaitForIndexAsync(last.Index - 1, TimeSpan.FromSeconds(5));
            return s.Index >= last.Index ? s : throw new TimeoutException($"store at {s.Index}, want {last.Index}");
        });
        Assert.Equal(Test.Dump(writer.Current)[Test.Dump(writer.Current).IndexOf('\n')..], Test.Dump(seen)[Test.Dump(seen).IndexOf('\n')..]);
        Assert.Null(seen.Entry("docs", "gone"));
    }

    /// <summary>Retries until it works or a generous deadline passes (etcd needs a moment after a heal).</summary>
    private static async Task<T> Eventually<T>(Func<Task<T>> attempt)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
