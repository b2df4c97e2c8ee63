using System.Diagnostics;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;
using Xunit.Abstractions;

namespace Drover.State.Tests.Etcd;

public sealed class EtcdElectionTests(SingleEtcd etcd, ITestOutputHelper output) : IClassFixture<SingleEtcd>, IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private readonly EtcdClient _client = EtcdClient.Create(etcd.Cluster.Endpoints);
    private readonly string _key = SingleEtcd.NewPrefix() + "leader";

    public void Dispose() => _client.Dispose();

    [Fact(Timeout = 30000)]
    public async Task Two_contenders_give_exactly_one_leader_and_observers_see_it()
    {
        await using var a = new EtcdElection(_client, _key, "a", Ttl);
        await using var b = new EtcdElection(_client, _key, "b", Ttl);

        await a.CampaignAsync().WaitAsync(Test.Deadline);
        using var stop = new CancellationTokenSource();
        var bCampaign = b.CampaignAsync(stop.Token);
        await using var observed = a.ObserveAsync().GetAsyncEnumerator();
        Assert.True(await observed.MoveNextAsync());

        Assert.Equal(new EtcdLeader("a", a.Term), observed.Current);
        Assert.True(a.IsLeader && !b.IsLeader && !bCampaign.IsCompleted);
        Assert.Equal(new EtcdWriteGuard(_key, a.Term), a.Guard);
        Assert.Null(b.Guard);
        Assert.False(a.Leadership.IsCancellationRequested);
        Assert.True(b.Leadership.IsCancellationRequested);

        await Task.Delay(Ttl * 2); // several keepalive rounds: the lease must not lapse while a is alive
        Assert.True(a.IsLeader && !b.IsLeader && !bCampaign.IsCompleted);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bCampaign);
    }

    [Fact(Timeout = 30000)]
    public async Task When_the_leader_stops_keeping_its_lease_alive_the_other_takes_over_within_the_ttl()
    {
        var a = new EtcdElection(_client, _key, "a", Ttl);
        await using var b = new EtcdElection(_client, _key, "b", Ttl);
        await a.CampaignAsync().WaitAsync(Test.Deadline);
        var oldTerm = a.Term;
        var bCampaign = b.CampaignAsync();

        var clock = Stopwatch.StartNew();
        await a.DisposeAsync(); // as if the process died: no resign, the lease just expires
        await bCampaign.WaitAsync(Ttl + TimeSpan.FromSeconds(5));
        output.WriteLine($"takeover after lease expiry: {clock.ElapsedMilliseconds} ms (TTL {Ttl.TotalMilliseconds} ms)");

        Assert.True(b.IsLeader);
        Assert.False(a.IsLeader);
        Assert.True(b.Term > oldTerm);
        Assert.True(a.Leadership.IsCancellationRequested);
    }

    [Fact(Timeout = 30000)]
    public async Task Resigning_hands_over_at_once_and_fences_the_old_terms_writes()
    {
        await using var a = new EtcdElection(_client, _key, "a", Ttl);
        await using var b = new EtcdElection(_client, _key, "b", Ttl);
        await a.CampaignAsync().WaitAsync(Test.Deadline);
        await using var store = await EtcdStateStore.OpenAsync(_client, new EtcdStateStoreOptions { Prefix = SingleEtcd.NewPrefix() });
        store.WriteGuard = a.Guard;
        await store.ApplyAsync(Test.Put("k", "by a"));
        var bCampaign = b.CampaignAsync();

        var clock = Stopwatch.StartNew();
        await a.ResignAsync();
        await bCampaign.WaitAsync(TimeSpan.FromSeconds(1)); // well inside the TTL: no waiting for expiry
        output.WriteLine($"handover after resign: {clock.ElapsedMilliseconds} ms");

        Assert.True(b.IsLeader && !a.IsLeader);
        var ex = await Assert.ThrowsAsync<FencedWriteException>(() => store.ApplyAsync(Test.Put("k", "by a, deposed")));
        Assert.Equal(b.Term, ex.Actual);
        Assert.Equal("by a", store.Current.Get(Test.Docs, "k")!.Name);
        store.WriteGuard = b.Guard;
        Assert.Equal("by b", (await store.ApplyAsync(Test.Put("k", "by b"))).Get(Test.Docs, "k")!.Name);
    }
}
