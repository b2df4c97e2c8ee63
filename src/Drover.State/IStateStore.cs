namespace Drover.State;

/// <summary>
/// The server's durable state: named collections of JSON documents keyed by string, every write
/// raising a single cluster-wide index (like Nomad's state store or Consul's raft index).
/// Single writer: writes are applied in order, atomically per batch; readers take immutable snapshots.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>The current immutable snapshot (never blocks).</summary>
    StateSnapshot Current { get; }

    /// <summary>
    /// Applies a batch atomically. Either every op is durable (the task completes after fsync for
    /// durable stores) and the index rises by one, or nothing changes. A failed precondition
    /// (<see cref="StateOp.ExpectedModifyIndex"/>) throws <see cref="PreconditionFailedException"/> and writes nothing.
    /// </summary>
    Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default);

    /// <summary>Yields the current snapshot once its index exceeds <paramref name="sinceIndex"/>, then every later one (coalesced: a slow reader skips intermediate snapshots).</summary>
    IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default);
}

public sealed class PreconditionFailedException(string collection, string key, long expected, long actual)
    : Exception($"{collection}/{key}: expected modify index {expected}, found {actual}")
{
    public string Collection { get; } = collection;
    public string Key { get; } = key;
}
