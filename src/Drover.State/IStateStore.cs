namespace Drover.State;

/// <summary>
/// The server's durable state: named collections of JSON documents keyed by string, every write
/// raising a single cluster-wide index (like Nomad's state store or Consul's raft index).
/// Writes are applied in order, atomically per batch; readers take immutable snapshots. A store may share its data
/// with other writers (etcd: other servers), whose writes then also appear in <see cref="Current"/> and the watches.
/// </summary>
/// <remarks>
/// Disposing waits for an in-flight write, then ends every watch normally; later writes throw
/// <see cref="ObjectDisposedException"/> while <see cref="Current"/> keeps returning the last snapshot.
/// </remarks>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>The current immutable snapshot (never blocks).</summary>
    StateSnapshot Current { get; }

    /// <summary>
    /// Applies a batch atomically. Either every op is durable (the task completes after fsync for durable stores, after
    /// a quorum has it for etcd) and the returned snapshot includes the batch, or nothing changes. A failed precondition
    /// (<see cref="StateOp.ExpectedModifyIndex"/>) throws <see cref="PreconditionFailedException"/> and writes nothing.
    /// </summary>
    /// <remarks>
    /// Ops apply in order, so a precondition sees the earlier ops of the same batch. Deleting a missing key is a
    /// no-op. The index strictly increases with every batch that changes something, and all entries the batch writes
    /// get that one index as ModifyIndex (CreateIndex too when the key did not exist, else kept). A batch without
    /// effect (empty, or deleting only missing keys) may leave the index where it is: etcd's revision does not move
    /// for it, while SQLite and the in-memory store still count it. The result need not be the same object as
    /// <see cref="Current"/>, but once the task completes <see cref="Current"/>.Index is at least the result's index
    /// (read-your-writes); another writer (another server on the same etcd) may have moved it further.
    /// <paramref name="ct"/> is honoured until the batch starts to be written, not after.
    /// </remarks>
    Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default);

    /// <summary>Yields the current snapshot once its index exceeds <paramref name="sinceIndex"/>, then every later one (coalesced: a slow reader skips intermediate snapshots).</summary>
    /// <remarks>Cancellation surfaces as <see cref="OperationCanceledException"/>; disposing the store ends the sequence.</remarks>
    IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default);
}

public sealed class PreconditionFailedException(string collection, string key, long expected, long actual)
    : Exception($"{collection}/{key}: expected modify index {expected}, found {actual}")
{
    public string Collection { get; } = collection;
    public string Key { get; } = key;
    public long Expected { get; } = expected;
    /// <summary>The key's modify index at the time of the check; 0 when it did not exist.</summary>
    public long Actual { get; } = actual;
}
