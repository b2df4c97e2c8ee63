namespace Drover.State;

/// <summary>Writes a validated batch durably; throws (having written nothing) when it cannot.</summary>
internal interface IBatchPersister
{
    ValueTask PersistAsync(AppliedBatch batch);
}

/// <summary>
/// What every store shares: the single writer (apply, persist, publish, in that order), snapshot reads and watches.
/// A store supplies only how a batch becomes durable.
/// </summary>
internal sealed class StateStoreCore(StateSnapshot initial, IBatchPersister? persister, Type owner)
{
    private readonly SnapshotPublisher _publisher = new(initial);
    private readonly SemaphoreSlim _writer = new(1, 1);
    private volatile bool _closed;

    public StateSnapshot Current => _publisher.Current;

    public async Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ops);
        ObjectDisposedException.ThrowIf(_closed, owner);
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, owner);
            var batch = AppliedBatch.Apply(_publisher.Current, ops);
            // Last point where cancelling is clean; a write cut off halfway would leave the caller unsure it happened.
            ct.ThrowIfCancellationRequested();
            if (persister is not null) await persister.PersistAsync(batch).ConfigureAwait(false);
            _publisher.Publish(batch.Snapshot, batch.Changes.Select(c => (c.Collection, c.Key)));
            return batch.Snapshot;
        }
        finally
        {
            _writer.Release();
        }
    }

    public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct) => _publisher.WatchAsync(sinceIndex, ct);

    /// <summary>Waits for an in-flight write, then refuses new ones and ends every watch. Idempotent.</summary>
    public async Task CloseAsync()
    {
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed) return;
            _closed = true;
            _publisher.Complete();
        }
        finally
        {
            _writer.Release();
        }
    }
}
