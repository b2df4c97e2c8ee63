namespace Drover.State.Etcd;

public sealed partial class EtcdStateStore
{
    private readonly Queue<(DateTimeOffset At, long Revision)> _revisionSamples = new();

    /// <summary>
    /// Compacts etcd's history up to a revision that keeps both the last <see cref="EtcdStateStoreOptions.CompactionKeepRevisions"/>
    /// revisions and every revision younger than <see cref="EtcdStateStoreOptions.CompactionKeepAge"/> (etcd's own periodic
    /// compactor samples revisions the same way). Returns the revision compacted to, or null when there is nothing old enough.
    /// </summary>
    public async Task<long?> CompactAsync(CancellationToken ct = default)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var head = _publisher.Current.Index;
        long? oldEnough = null;
        lock (_revisionSamples)
        {
            _revisionSamples.Enqueue((now, head));
            while (_revisionSamples.Count > 0 && now - _revisionSamples.Peek().At >= _options.CompactionKeepAge)
                oldEnough = _revisionSamples.Dequeue().Revision;
        }
        // With no sample old enough (keep age 0 aside), everything is younger than the keep age.
        if (_options.CompactionKeepAge <= TimeSpan.Zero) oldEnough = head;
        if (oldEnough is not { } byAge) return null;
        var target = Math.Min(byAge, head - _options.CompactionKeepRevisions);
        if (target <= 0) return null;
        await CompactToAsync(target, ct).ConfigureAwait(false);
        return target;
    }

    /// <summary>Compacts etcd's history up to <paramref name="revision"/>; watchers older than that will reload.</summary>
    public async Task CompactToAsync(long revision, CancellationToken ct = default)
    {
        try
        {
            await _client.CompactAsync(revision, ct: ct).ConfigureAwait(false);
            EtcdLog.Compacted(_log, revision);
        }
        catch (Client.EtcdException ex) when (ex.IsCompacted)
        {
            // someone (another server) already compacted past it
        }
    }

    private async Task CompactionLoopAsync(TimeSpan every)
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _options.TimeProvider, ct).ConfigureAwait(false);
                await CompactAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                EtcdLog.CompactionFailed(_log, ex);
            }
        }
    }
}
