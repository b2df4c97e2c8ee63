using Drover.State;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.Server;

/// <summary>The server's etcd store together with the client it owns: disposing one closes both.</summary>
public sealed class EtcdStore(EtcdStateStore store, EtcdClient client) : IStateStore
{
    public EtcdStateStore Inner => store;
    public EtcdClient Client => client;

    public StateSnapshot Current => store.Current;

    public Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default) => store.ApplyAsync(ops, ct);

    public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => store.WatchAsync(sinceIndex, ct);

    public async ValueTask DisposeAsync()
    {
        await store.DisposeAsync().ConfigureAwait(false);
        client.Dispose();
    }
}

/// <summary>The state store cannot be reached or has no quorum; the message says why (etcd's own words).</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
