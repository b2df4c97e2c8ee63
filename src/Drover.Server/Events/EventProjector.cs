using Drover.Core.Retry;
using Drover.State;
using Microsoft.Extensions.Hosting;
using Drover.Server.Storage;

namespace Drover.Server.Events;

/// <summary>
/// Runs on every server (leader or not): publishes the events the store's event log gains, in the order the store
/// applied their writes, to this server's SSE subscribers.
/// </summary>
public sealed class EventProjector(IStateStore store, EventBus bus, TimeProvider time, ServerLog log) : BackgroundService
{
    /// <summary>Taken when the server is built, before any write of its own: only events written after that are streamed.</summary>
    private long _published = store.Current.Index;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), jitter: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in store.WatchAsync(_published, stoppingToken).ConfigureAwait(false))
                {
                    Project(snapshot);
                    backoff.Reset();
                }
                return; // the store closed
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.EventProjectionFailed(ex);
                await backoff.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes the batches written after the last snapshot projected (a coalesced watch may bring several at once).</summary>
    public void Project(StateSnapshot snapshot)
    {
        var since = Interlocked.Read(ref _published);
        if (snapshot.Index <= since) return;
        var fresh = snapshot.Entries(Schema.EventLog.Name).Values
            .Where(e => e.ModifyIndex > since)
            .OrderBy(e => e.ModifyIndex).ThenBy(e => e.Key, StringComparer.Ordinal);
        foreach (var e in fresh)
            foreach (var evt in StateSnapshot.Decode(Schema.EventLog, e).Events) bus.Deliver(evt);
        Interlocked.Exchange(ref _published, snapshot.Index);
    }
}
