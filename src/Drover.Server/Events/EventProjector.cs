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
    private readonly StateSnapshot _start = store.Current;

    /// <summary>Taken when the server is built, before any write of its own: only events written after that are streamed.</summary>
    private long _published = -1;

    /// <summary>The sequence of the last batch streamed (<see cref="EventLog.NewKey"/>): a jump means batches were pruned unseen.</summary>
    private long _lastSequence = -1;

    private void EnsureStarted()
    {
        if (Interlocked.Read(ref _published) >= 0) return;
        Interlocked.Exchange(ref _lastSequence, EventLog.LatestSequence(_start));
        Interlocked.Exchange(ref _published, _start.Index);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), jitter: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                EnsureStarted();
                await foreach (var snapshot in store.WatchAsync(Interlocked.Read(ref _published), stoppingToken).ConfigureAwait(false))
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
    /// <remarks>
    /// A server whose projector fell more than <see cref="EventLog.Capacity"/> event-bearing writes behind finds the
    /// sequence jump: it says so and ends every event stream of this server, as a slow subscriber is dropped, so clients
    /// reconnect and re-read the state (marathon-lb and Bamboo resync on reconnect) instead of silently missing events.
    /// </remarks>
    public void Project(StateSnapshot snapshot)
    {
        EnsureStarted();
        var since = Interlocked.Read(ref _published);
        if (snapshot.Index <= since) return;
        var fresh = snapshot.Entries(Schema.EventLog.Name).Values
            .Where(e => e.ModifyIndex > since)
            .OrderBy(e => e.ModifyIndex).ThenBy(e => e.Key, StringComparer.Ordinal);
        foreach (var e in fresh)
        {
            var sequence = EventLog.SequenceOf(e.Key);
            var last = Interlocked.Read(ref _lastSequence);
            if (sequence > last + 1)
            {
                log.EventsPruned(sequence - last - 1, since, bus.SubscriberCount);
                bus.DropAll();
            }
            if (sequence > last) Interlocked.Exchange(ref _lastSequence, sequence);
            foreach (var evt in StateSnapshot.Decode(Schema.EventLog, e).Events) bus.Deliver(evt);
        }
        Interlocked.Exchange(ref _published, snapshot.Index);
    }
}
