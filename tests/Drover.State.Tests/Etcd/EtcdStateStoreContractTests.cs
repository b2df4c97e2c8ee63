using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

/// <summary>The same contract as SQLite and the in-memory store, on a real etcd (one per class, a fresh prefix per test).</summary>
public sealed class EtcdStateStoreContractTests(SingleEtcd etcd) : StateStoreContractTests, IClassFixture<SingleEtcd>
{
    private EtcdClient? _client;

    protected override async Task<IStateStore> CreateStoreAsync()
    {
        _client = EtcdClient.Create(etcd.Cluster.Endpoints);
        return await EtcdStateStore.OpenAsync(_client, new EtcdStateStoreOptions { Prefix = SingleEtcd.NewPrefix() });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _client?.Dispose();
    }
}
