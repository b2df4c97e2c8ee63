using Drover.State;

namespace Drover.Server;

/// <summary>
/// Serialises read-modify-write sequences: the decision is made on the latest snapshot while no
/// other writer of this server can interleave, so two API calls cannot both allocate the same
/// service port or both create the same app.
/// </summary>
public sealed class StateWriter(IStateStore store)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public IStateStore Store => store;
    public StateSnapshot Current => store.Current;

    /// <summary>Runs <paramref name="decide"/> on the latest snapshot and applies the ops it returns (none = no write).</summary>
    public async Task<(StateSnapshot Snapshot, T Result)> UpdateAsync<T>(Func<StateSnapshot, (IReadOnlyList<StateOp> Ops, T Result)> decide, CancellationToken ct = default)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var (ops, result) = decide(store.Current);
            if (ops.Count == 0) return (store.Current, result);
            var snap = await store.ApplyAsync(ops, CancellationToken.None).ConfigureAwait(false);
            return (snap, result);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<StateSnapshot> UpdateAsync(Func<StateSnapshot, IReadOnlyList<StateOp>> decide, CancellationToken ct = default) =>
        (await UpdateAsync(s => (decide(s), 0), ct).ConfigureAwait(false)).Snapshot;
}
