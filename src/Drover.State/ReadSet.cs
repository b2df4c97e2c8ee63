namespace Drover.State;

/// <summary>The collections a decision read, recorded by a <see cref="StateSnapshot.Tracking"/> view. Not thread-safe: one decision, one set.</summary>
public sealed class ReadSet
{
    private readonly HashSet<string> _collections = new(StringComparer.Ordinal);
    private string? _last;

    public IReadOnlyCollection<string> Collections => _collections;

    public void Add(string collection)
    {
        // decide functions read the same collection in long runs: skip the hash for a repeat
        if (ReferenceEquals(collection, _last)) return;
        _last = collection;
        _collections.Add(collection);
    }

    /// <summary>One <see cref="StateOp.Unchanged"/> precondition per collection read, against the snapshot read at <paramref name="index"/>.</summary>
    public IEnumerable<StateOp> Preconditions(long index) => _collections.Order(StringComparer.Ordinal).Select(c => StateOp.Unchanged(c, index));
}

/// <summary>
/// Every batch that changes a collection also stamps it: the store puts key <c>collection</c> in
/// <see cref="Collection"/>, so that entry's ModifyIndex is the index of the collection's last change (deletes
/// included, which leave no entry of their own to compare). Both stores write the stamps themselves, in the batch;
/// etcd compares their mod_revision for <see cref="StateOp.Unchanged"/> in the same transaction as the write.
/// </summary>
public static class ChangeMarkers
{
    public const string Collection = "_changes";
}

/// <summary>A collection a write's decision read was written by someone else after the snapshot it read; decide again on a newer one.</summary>
public sealed class ReadConflictException(string collection, long readAt, long changedAt)
    : Exception($"{collection} changed at index {changedAt}, after the snapshot at index {readAt} the write was decided on")
{
    public string Collection { get; } = collection;
    public long ReadAt { get; } = readAt;
    /// <summary>The index of the collection's newer write (0 when the store could not say).</summary>
    public long ChangedAt { get; } = changedAt;
}
