namespace Drover.State;

public static class StateStoreExtensions
{
    /// <summary>
    /// Blocking-query helper: returns the first snapshot whose Index is greater than <paramref name="index"/>
    /// (Consul semantics: pass the index the client already has), or the current snapshot when
    /// <paramref name="timeout"/> elapses or the store is disposed. Only <paramref name="ct"/> makes it throw.
    /// </summary>
    public static async Task<StateSnapshot> WaitForIndexAsync(this IStateStore store, long index, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var current = store.Current;
        if (current.Index > index) return current;

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await foreach (var snapshot in store.WatchAsync(index, deadline.Token).ConfigureAwait(false))
                return snapshot;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // timed out
        }
        return store.Current;
    }
}
