using Drover.State;

namespace Drover.Server.Http;

/// <summary>The wait under every blocking query (Consul's /v1 reads and Drover's /v1/drover/lb/state).</summary>
public static class StoreWaits
{
    /// <summary>True when the store's index passed <paramref name="index"/>; false after <paramref name="timeout"/> or when the store closed.</summary>
    public static async Task<bool> NextWriteAsync(IStateStore store, TimeProvider time, long index, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            await foreach (var _ in store.WatchAsync(index, linked.Token).ConfigureAwait(false)) return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // timed out: the caller answers with what it has
        }
        return false;
    }

    /// <summary>Consul adds up to wait/16 of random jitter so that many blocked clients do not all come back at once.</summary>
    public static TimeSpan WithJitter(TimeSpan wait) => wait + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * wait.Ticks / 16));
}
