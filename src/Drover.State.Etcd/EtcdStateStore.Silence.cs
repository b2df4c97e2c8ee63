using Drover.State.Etcd.Client;

namespace Drover.State.Etcd;

public sealed partial class EtcdStateStore
{
    /// <summary>The current watch stream's cancellation, for the silence check to drop it.</summary>
    private CancellationTokenSource? _stream;

    /// <summary>When the watch last heard from etcd (a response, or a stream opened), in <see cref="TimeProvider"/> ticks.</summary>
    private long _heard;

    /// <summary>Streams the silence check dropped (for tests).</summary>
    public long SilentWatchesDropped => Interlocked.Read(ref _silentDropped);
    private long _silentDropped;

    /// <summary>Times the silence check asked etcd for its newest batch (for tests).</summary>
    public long SilenceChecks => Interlocked.Read(ref _silenceChecks);
    private long _silenceChecks;

    private void Heard() => Interlocked.Exchange(ref _heard, _options.TimeProvider.GetTimestamp());

    /// <summary>
    /// Drops a watch stream that went silent while etcd moved on (<see cref="EtcdStateStoreOptions.WatchSilenceCheck"/>).
    /// A silent watch on a quiet cluster is normal, so silence alone proves nothing: every Drover batch stamps the
    /// collections it writes (<see cref="ChangeMarkers"/>), and the newest stamp's revision in etcd says whether a batch
    /// exists that this copy has not seen. Etcd's own clients rely on gRPC keepalives for this; the JSON gateway's
    /// watch is one HTTP response with none.
    /// </summary>
    private async Task SilenceLoopAsync(TimeSpan check)
    {
        var ct = _stop.Token;
        var time = _options.TimeProvider;
        long? suspectHeard = null;
        var markers = _layout.Key(ChangeMarkers.Collection, "");
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(check, time, ct).ConfigureAwait(false);
                var heard = Interlocked.Read(ref _heard);
                if (time.GetElapsedTime(heard) < check)
                {
                    suspectHeard = null;
                    continue;
                }
                var range = await _client.RangeAsync(new RangeRequest(markers, EtcdKeys.PrefixEnd(markers)), ct).ConfigureAwait(false);
                Interlocked.Increment(ref _silenceChecks);
                var newest = range.Kvs is { Count: > 0 } kvs ? kvs.Max(kv => kv.ModRevision) : 0;
                if (newest <= _publisher.Current.Index)
                {
                    suspectHeard = null;
                    continue;
                }
                // behind: a stream that has heard nothing more by the next check is dropped
                if (suspectHeard == heard)
                {
                    EtcdLog.WatchSilent(_log, _layout.Prefix, _publisher.Current.Index, newest, time.GetElapsedTime(heard).TotalSeconds);
                    Interlocked.Increment(ref _silentDropped);
                    suspectHeard = null;
                    await (Volatile.Read(ref _stream)?.CancelAsync() ?? Task.CompletedTask).ConfigureAwait(false);
                }
                else suspectHeard = heard;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // etcd unreachable: the stream's own failure (or the quorum monitor) says so; nothing to compare
                suspectHeard = null;
            }
        }
    }
}
