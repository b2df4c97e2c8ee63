using Drover.State.Etcd.Client;

namespace Drover.State.Etcd;

public sealed partial class EtcdStateStore
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Keeps <see cref="Current"/> following etcd. A broken stream resumes from the revision after the last one
    /// published; a compacted revision means the events in between are gone, so the whole prefix is reloaded.
    /// </summary>
    private async Task WatchLoopAsync()
    {
        var ct = _stop.Token;
        var backoff = MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            var from = _publisher.Current.Index + 1;
            var created = false;
            using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Volatile.Write(ref _stream, stream);
            Heard();
            try
            {
                await foreach (var response in _client.WatchAsync(new WatchCreateRequest(_layout.PrefixBytes, _layout.PrefixEnd, from), stream.Token).ConfigureAwait(false))
                {
                    Heard();
                    backoff = MinBackoff;
                    created |= response.Created;
                    if (response.Canceled)
                    {
                        if (response.CompactRevision > 0) await ReloadAsync(from, ct).ConfigureAwait(false);
                        break;
                    }
                    if (response.Events is { Count: > 0 } events) ApplyEvents(events);
                }
                // A stream that worked and then ended (a member went away): resume at once from the next revision.
                // One that ended before etcd even created the watch is refused: back off rather than spin.
                if (created) continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (stream.IsCancellationRequested)
            {
                // dropped by the silence check: resume at once on a new connection
                continue;
            }
            catch (EtcdException ex) when (ex.IsCompacted)
            {
                try
                {
                    await ReloadAsync(from, ct).ConfigureAwait(false);
                    continue;
                }
                catch (Exception reloadFailure) when (!ct.IsCancellationRequested)
                {
                    EtcdLog.WatchBroken(_log, _layout.Prefix, from - 1, backoff.TotalMilliseconds, reloadFailure);
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                EtcdLog.WatchBroken(_log, _layout.Prefix, from - 1, backoff.TotalMilliseconds, ex);
            }
            try
            {
                await Task.Delay(backoff, _options.TimeProvider, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task ReloadAsync(long compactedFrom, CancellationToken ct)
    {
        EtcdLog.WatchCompacted(_log, _layout.Prefix, compactedFrom);
        var fresh = await LoadAsync(_client, _layout, _log, ct).ConfigureAwait(false);
        // A fresh range is never older than what was published: etcd's revision only rises.
        if (fresh.Index > _publisher.Current.Index) _publisher.Publish(fresh);
        EtcdLog.Reloaded(_log, _layout.Prefix, fresh.Index, fresh.Collections.Values.Sum(c => c.Count));
    }
}
