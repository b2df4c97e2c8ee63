using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;
using Drover.State.Tests.Etcd;

namespace Drover.Server.Tests.Ha;

/// <summary>
/// Two servers' writers on one real etcd, with no leader fence between them: each decides under its own lock only, so
/// only the read preconditions keep their read-modify-writes from losing each other's updates.
/// </summary>
public sealed class ConcurrentWritersTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>
{
    [Fact(Timeout = 60000)]
    public async Task Read_modify_writes_from_two_servers_lose_no_update()
    {
        var prefix = SingleEtcd.NewPrefix();
        using var clientA = EtcdClient.Create(etcd.Cluster.Endpoints);
        using var clientB = EtcdClient.Create(etcd.Cluster.Endpoints);
        await using var a = await EtcdStateStore.OpenAsync(clientA, new EtcdStateStoreOptions { Prefix = prefix });
        await using var b = await EtcdStateStore.OpenAsync(clientB, new EtcdStateStoreOptions { Prefix = prefix });
        var writers = new[] { new StateWriter(a), new StateWriter(b) };
        const int perWriter = 20;

        var acknowledged = await Task.WhenAll(writers.Select(w => Task.Run(async () =>
        {
            var ok = 0;
            for (var i = 0; i < perWriter; i++)
            {
                try
                {
                    await w.UpdateAsync(s => [StateOp.Put(Schema.Agents, "counter", Counter((s.Get(Schema.Agents, "counter")?.Resources.Cpus ?? 0) + 1))]);
                    ok++;
                }
                catch (ReadConflictException)
                {
                    // overtaken on every attempt: not acknowledged, and nothing written
                }
            }
            return ok;
        })));

        var final = await a.WaitForIndexAsync(b.Current.Index, TimeSpan.FromSeconds(10));
        Assert.Equal(acknowledged.Sum(), final.Get(Schema.Agents, "counter")!.Resources.Cpus);
        Assert.True(acknowledged.Sum() >= perWriter, $"acknowledged {string.Join("+", acknowledged)}"); // the writers do make progress
    }

    private static AgentInfo Counter(double value) => new()
    {
        Id = "counter", Hostname = "counter", Resources = new AgentResources { Cpus = value, MemMb = 1 },
        RegisteredAt = "2030-01-01T00:00:00.000Z", LastSeenAt = "2030-01-01T00:00:00.000Z",
    };
}
