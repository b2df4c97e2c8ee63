using Drover.State.Etcd.Client;

namespace Drover.State.Etcd;

public sealed partial class EtcdStateStore
{
    /// <summary>
    /// One etcd transaction per batch. The batch is first evaluated on <see cref="Current"/> (invalid ops and
    /// in-batch preconditions fail here, without touching etcd); etcd then re-checks every precondition as a compare,
    /// so a write based on a stale snapshot fails instead of landing. Returns once <see cref="Current"/> includes the
    /// write (read-your-writes).
    /// </summary>
    public async Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        ObjectDisposedException.ThrowIf(_closed, this);
        foreach (var op in ops)
        {
            // The key layout splits at the first '/' after the prefix.
            if (op?.Collection is { } c && c.Contains('/', StringComparison.Ordinal))
                throw new ArgumentException($"{c}/{op.Key}: a collection name must not contain '/' in the etcd store.", nameof(ops));
        }
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var current = _publisher.Current;
            // throws ArgumentException / PreconditionFailedException / ReadConflictException; the result is etcd's to decide
            var batch = AppliedBatch.Apply(current, ops);
            var plan = EtcdTxnPlan.Build(_layout, [.. ops, .. batch.Stamps]);
            if (plan.Writes.Count == 0) return current;
            var guard = WriteGuard;
            var compares = plan.OpCompares.Select(EtcdTxnPlan.ToCompare).ToList();
            // Failure branch: read back every compared key, so the exception can say which one moved and to what.
            var reads = plan.OpCompares.Select(c => new RequestOp(RequestRange: new RangeRequest(c.EtcdKey))).ToList();
            if (guard is not null)
            {
                var guardKey = EtcdKeys.Utf8(guard.Key);
                compares.Add(EtcdCompare.CreateRevisionIs(guardKey, guard.CreateRevision));
                reads.Add(new RequestOp(RequestRange: new RangeRequest(guardKey)));
            }
            // Last point where cancelling is clean; a write cut off halfway would leave the caller unsure it happened.
            ct.ThrowIfCancellationRequested();

            TxnResponse response;
            try
            {
                response = await _client.TxnAsync(new TxnRequest(compares, plan.Writes, reads), CancellationToken.None).ConfigureAwait(false);
            }
            catch (EtcdException ex) when (EtcdServerFlags.Explain(ex, compares.Count + plan.Writes.Count) is { } explained)
            {
                throw explained;
            }
            if (!response.Succeeded) throw await CompareFailureAsync(plan, guard, response).ConfigureAwait(false);

            var changed = plan.HasPuts || (response.Responses ?? []).Any(r => r.ResponseDeleteRange is { Deleted: > 0 });
            if (!changed) return _publisher.Current; // etcd's revision did not move; nothing to wait for
            return await CatchUpAsync(response.Header?.Revision ?? 0).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    private async Task<Exception> CompareFailureAsync(EtcdTxnPlan plan, EtcdWriteGuard? guard, TxnResponse response)
    {
        var reads = response.Responses ?? [];
        long Read(int i, Func<EtcdKeyValue, long> field) =>
            i < reads.Count && reads[i].ResponseRange?.Kvs is [var kv, ..] ? field(kv) : 0;

        if (guard is not null)
        {
            var actual = Read(plan.OpCompares.Count, kv => kv.CreateRevision);
            if (actual != guard.CreateRevision) return new FencedWriteException(guard, actual);
        }
        for (var i = 0; i < plan.OpCompares.Count; i++)
        {
            var c = plan.OpCompares[i];
            var actual = Read(i, kv => kv.ModRevision);
            if (!c.HeldBy(actual))
            {
                // Our snapshot was behind etcd: let it catch up, so the caller's re-read sees what beat it.
                if (actual > _publisher.Current.Index) await TryCatchUpAsync(actual).ConfigureAwait(false);
                return c.IsReadCheck ? new ReadConflictException(c.Collection, c.Expected, actual) : new PreconditionFailedException(c.Collection, c.Key, c.Expected, actual);
            }
        }
        // Every compare we can see held, yet etcd said no: a key changed between its check and our read-back.
        // A key's precondition is the caller's to report; a read check only asks for a new decision.
        var at = 0;
        while (at < plan.OpCompares.Count && plan.OpCompares[at].IsReadCheck) at++;
        if (at == plan.OpCompares.Count && at > 0) return new ReadConflictException(plan.OpCompares[0].Collection, plan.OpCompares[0].Expected, 0);
        var first = at < plan.OpCompares.Count ? plan.OpCompares[at] : null;
        return new PreconditionFailedException(first?.Collection ?? "?", first?.Key ?? "?", first?.Expected ?? 0, Read(at, kv => kv.ModRevision));
    }

    /// <summary>Waits until the watch has published <paramref name="revision"/>; the write is durable whatever happens here.</summary>
    private async Task<StateSnapshot> CatchUpAsync(long revision)
    {
        using var deadline = new CancellationTokenSource(_options.CatchUpTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stop.Token);
        try
        {
            await foreach (var s in _publisher.WatchAsync(revision - 1, linked.Token).ConfigureAwait(false)) return s;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new EtcdException(
                $"the write at etcd revision {revision} is durable, but this store's watch has not delivered it within {_options.CatchUpTimeout.TotalSeconds:0} s (etcd unreachable?)");
        }
        catch (OperationCanceledException)
        {
            // disposed while waiting: the write stands, the last snapshot is all there is
        }
        return _publisher.Current;
    }

    private async Task TryCatchUpAsync(long revision)
    {
        try
        {
            await CatchUpAsync(revision).ConfigureAwait(false);
        }
        catch (EtcdException)
        {
            // only a courtesy to the caller's next read
        }
    }
}
