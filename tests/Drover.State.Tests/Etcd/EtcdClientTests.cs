using System.Net;
using System.Net.Sockets;
using Drover.Agent.Tests.Infrastructure;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

public sealed class EtcdClientTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>
{
    [Fact(Timeout = 30000)]
    public async Task A_malformed_endpoint_list_is_refused_naming_the_bad_part()
    {
        await Task.CompletedTask;
        var ex = Assert.Throws<ArgumentException>(() => EtcdClient.Create("http://127.0.0.1:2379, not a url"));
        Assert.Contains("'not a url'", ex.Message);
        Assert.Contains("is not an http(s) URL", Assert.Throws<ArgumentException>(() => EtcdClient.Create("ftp://127.0.0.1:1")).Message);
    }

    [Fact(Timeout = 30000)]
    public async Task A_dead_endpoint_is_skipped_and_the_live_one_preferred_afterwards()
    {
        var dead = new Uri($"http://127.0.0.1:{UnusedPort()}");
        using var client = new EtcdClient([dead, etcd.Cluster.ClientUrl(0)]);

        var status = await client.StatusAsync();

        Assert.Equal("3.4", status.Version![..3]);
        Assert.Equal(etcd.Cluster.ClientUrl(0), client.PreferredEndpoint);
        Assert.Single((await client.MemberListAsync()).Members!);
    }

    [Fact(Timeout = 30000)]
    public async Task No_reachable_endpoint_gives_one_error_naming_each()
    {
        var a = new Uri($"http://127.0.0.1:{UnusedPort()}");
        var b = new Uri($"http://127.0.0.1:{UnusedPort()}");
        using var client = new EtcdClient([a, b]);

        var ex = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.RangeAsync(new RangeRequest("k"u8.ToArray())));

        Assert.Contains(a.ToString(), ex.Message);
        Assert.Contains(b.ToString(), ex.Message);
        Assert.False(ex.WriteNotApplied); // a read: the flag speaks of writes only
    }

    [Fact(Timeout = 30000)]
    public async Task A_write_no_endpoint_accepted_is_known_not_applied()
    {
        using var client = new EtcdClient([new Uri($"http://127.0.0.1:{UnusedPort()}"), new Uri($"http://127.0.0.1:{UnusedPort()}")]);

        var ex = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.TxnAsync(new TxnRequest([], [], [])));

        Assert.True(ex.WriteNotApplied);
    }

    [Fact(Timeout = 30000)]
    public async Task Compaction_keeps_the_newest_revisions_and_the_keep_age_and_old_reads_fail_naming_the_cause()
    {
        using var client = EtcdClient.Create(etcd.Cluster.Endpoints);
        var clock = new ManualTimeProvider();
        await using var store = await EtcdStateStore.OpenAsync(client, new EtcdStateStoreOptions
        {
            Prefix = SingleEtcd.NewPrefix(), CompactionKeepRevisions = 3, CompactionKeepAge = TimeSpan.FromMinutes(5), TimeProvider = clock,
        });
        StateSnapshot s = store.Current;
        for (var i = 0; i < 10; i++) s = await store.ApplyAsync(Test.Put("k", $"{i}"));
        var sampled = s.Index;

        Assert.Null(await store.CompactAsync()); // nothing is five minutes old yet
        clock.Advance(TimeSpan.FromMinutes(5));
        for (var i = 0; i < 2; i++) s = await store.ApplyAsync(Test.Put("k", $"late{i}"));
        var compacted = await store.CompactAsync();

        Assert.Equal(Math.Min(sampled, s.Index - 3), compacted);
        var ex = await Assert.ThrowsAsync<EtcdException>(() => client.RangeAsync(new RangeRequest("k"u8.ToArray(), Revision: compacted!.Value - 1)));
        Assert.True(ex.IsCompacted);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", ex.Message);
        Assert.Equal("after", (await store.ApplyAsync(Test.Put("k", "after"))).Get(Test.Docs, "k")!.Name); // the store goes on
    }

    private static int UnusedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
