namespace Drover.State;

/// <summary>A non-durable store for tests and tools; same semantics as the durable stores.</summary>
public sealed class InMemoryStateStore(StateSnapshot? initial = null) : IStateStore
{
    private readonly StateStoreCore _core = new(initial ?? StateSnapshot.Empty, persister: null, typeof(InMemoryStateStore));

    public StateSnapshot Current => _core.Current;

    public Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default) => _core.ApplyAsync(ops, ct);

    public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => _core.WatchAsync(sinceIndex, ct);

    public async ValueTask DisposeAsync() => await _core.CloseAsync().ConfigureAwait(false);
}
